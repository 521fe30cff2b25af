import { type Clock, KilnError, type Logger, systemClock } from "../core/mod.ts";
import type {
  ComponentDefinition,
  GlobalOptimizationRule,
  OptimizationCondition,
  OptimizationConfig,
  OptimizationRule,
} from "../models/mod.ts";
import type { MetricCollector, MetricPointSummary } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import { generatedTask } from "./activation.ts";
import type { JitService } from "./jit_service.ts";
import { outputStability } from "./sample_store.ts";

/** One aggregate over a window, as the metric collector answers it. */
export type WindowSummary = Pick<
  MetricPointSummary,
  "count" | "sum" | "avg" | "p50" | "p95" | "p99"
>;

/** The part of the metric collector the oracle reads. */
export type OracleMetrics = Pick<MetricCollector, "summary">;

/** What the oracle concluded about one component in one evaluation. */
export interface OracleDecision {
  appId: string;
  componentId: string;
  action: "TRIGGER_JIT" | "RECOMMEND_JIT" | "none";
  ruleId?: string;
  level?: "global" | "app" | "component";
  /** The measured value of each condition of the deciding rule (or of the first rule tried). */
  observed: { metric: string; aggregation: string; value: number | null; holds: boolean }[];
  reason: string;
  generationId?: string;
}

export interface OracleOptions {
  registry: Registry;
  jit: JitService;
  metrics?: OracleMetrics;
  /** Rules of the host (the global level); apps and components refine them by `ruleId`. */
  globalRules?: GlobalOptimizationRule[];
  /** Keeps the global rules across restarts (the runtime store, in Kiln). */
  saveGlobalRules?: (rules: GlobalOptimizationRule[]) => Promise<void>;
  clock?: Clock;
  logger: Logger;
  /**
   * Whether this node runs the timed evaluation now; in a cluster one node at a time holds the
   * oracle's lease. Absent: always.
   */
  turn?: () => Promise<boolean>;
}

/**
 * The optimization oracle (contract §9): rules at global < app < component level over latency,
 * cost, frequency, counts, error rate and output stability decide, per llm component, to trigger a
 * JIT generation or recommend one. `preferLlmFlexibility` turns triggers into recommendations;
 * after a rejection or a rollback, rules wait out the cooldown. Decisions that act are audited.
 */
export class Oracle {
  readonly #o: OracleOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #globalRules: GlobalOptimizationRule[];
  #timer?: ReturnType<typeof setInterval>;

  constructor(opts: OracleOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.with({ component: "oracle" });
    this.#globalRules = opts.globalRules ?? [];
  }

  get globalRules(): GlobalOptimizationRule[] {
    return structuredClone(this.#globalRules);
  }

  /** Replaces the global rules (validated by the caller) and persists them. */
  async setGlobalRules(rules: GlobalOptimizationRule[]): Promise<void> {
    await this.#o.saveGlobalRules?.(rules);
    this.#globalRules = structuredClone(rules);
  }

  /** Evaluates every `intervalMs` (unref'd, so it never holds the process open). */
  start(intervalMs = 60_000): void {
    this.stop();
    this.#timer = setInterval(() => {
      (async () => {
        if (this.#o.turn && !(await this.#o.turn())) return;
        await this.evaluate();
      })().catch((err) => this.#log.warn("evaluation failed", { error: String(err) }));
    }, intervalMs);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass over every serving app (or one app); answers each llm component's decision. */
  async evaluate(opts: { appId?: string; actor?: string } = {}): Promise<OracleDecision[]> {
    const apps = opts.appId
      ? [opts.appId]
      : this.#o.registry.listActiveApplications().map((a) => a.appId);
    const out: OracleDecision[] = [];
    for (const appId of apps) {
      const snapshot = this.#o.registry.snapshot(appId);
      for (const c of snapshot.components.values()) {
        if (c.handlerType !== "llm" || generatedTask(c)) continue;
        out.push(await this.#decide(appId, c, snapshot.optimization, opts.actor ?? "oracle"));
      }
    }
    return out;
  }

  async #decide(
    appId: string,
    c: ComponentDefinition,
    config: OptimizationConfig,
    actor: string,
  ): Promise<OracleDecision> {
    const base = { appId, componentId: c.componentId };
    const rules = effectiveRules(this.#globalRules, config.rules, c.componentId, appId);
    let first: OracleDecision | undefined;
    for (const { rule, level } of rules) {
      const observed: OracleDecision["observed"] = [];
      for (const cond of rule.conditions) {
        const value = await this.#measure(appId, c.componentId, cond);
        observed.push({
          metric: cond.metric,
          aggregation: cond.aggregation,
          value,
          holds: value !== null && compare(value, cond.operator, cond.value),
        });
      }
      const decision: OracleDecision = {
        ...base,
        action: "none",
        ruleId: rule.ruleId,
        level,
        observed,
        reason: `rule ${rule.ruleId}: not every condition holds`,
      };
      first ??= decision;
      if (!observed.every((o) => o.holds)) continue;
      const action = rule.action === "TRIGGER_JIT" && config.preferLlmFlexibility
        ? "RECOMMEND_JIT"
        : rule.action;
      decision.action = action;
      decision.reason = `rule ${rule.ruleId} (${level}) holds` +
        (action !== rule.action ? "; preferLlmFlexibility makes it a recommendation" : "");
      return await this.#act(decision, config, actor);
    }
    return first ?? { ...base, action: "none", observed: [], reason: "no rule applies" };
  }

  async #act(
    d: OracleDecision,
    config: OptimizationConfig,
    actor: string,
  ): Promise<OracleDecision> {
    const jit = this.#o.jit;
    if (d.action === "RECOMMEND_JIT") {
      const last = await jit.records.recommendations(d.appId);
      const same = (last as OracleDecision[]).find((r) =>
        r.componentId === d.componentId && r.ruleId === d.ruleId
      );
      await jit.records.saveRecommendation(d.appId, d.componentId, {
        ...d,
        at: new Date(this.#clock.now()).toISOString(),
      });
      if (!same) {
        await jit.records.audit({
          appId: d.appId,
          componentId: d.componentId,
          action: "RECOMMEND_JIT",
          actor,
          ...(d.ruleId ? { ruleId: d.ruleId } : {}),
          reason: d.reason,
          details: { observed: d.observed },
        });
      }
      return d;
    }
    const record = await jit.records.component(d.appId, d.componentId);
    const lastGen = record.lastGenerationId
      ? await jit.records.generation(d.appId, record.lastGenerationId)
      : undefined;
    const cooldownMs = config.generation.cooldownMinutes * 60_000;
    const since = Math.max(
      record.rolledBackAt ? Date.parse(record.rolledBackAt) : 0,
      lastGen && lastGen.status !== "activated"
        ? Date.parse(lastGen.finishedAt ?? lastGen.startedAt)
        : 0,
    );
    if (since && this.#clock.now() - since < cooldownMs) {
      return {
        ...d,
        action: "none" as const,
        reason: `${d.reason}; cooling down after the last attempt`,
      };
    }
    const samples = await jit.samples.count(d.appId, d.componentId);
    if (samples < config.generation.minSamples) {
      return {
        ...d,
        action: "none" as const,
        reason: `${d.reason}; only ${samples} of the ${config.generation.minSamples} recorded ` +
          `calls a generation needs`,
      };
    }
    await jit.records.audit({
      appId: d.appId,
      componentId: d.componentId,
      action: "TRIGGER_JIT",
      actor,
      ...(d.ruleId ? { ruleId: d.ruleId } : {}),
      reason: d.reason,
      details: { observed: d.observed },
    });
    try {
      const gen = await jit.generate(d.appId, d.componentId, {
        trigger: "rule",
        actor,
        ...(d.ruleId ? { ruleId: d.ruleId } : {}),
        reason: d.reason,
      });
      return { ...d, generationId: gen.generationId };
    } catch (err) {
      if (err instanceof KilnError && err.code === "JIT_BUSY") {
        return { ...d, reason: `${d.reason}; a generation is already running` };
      }
      if (err instanceof KilnError && err.code === "JIT_NOT_READY") {
        return { ...d, action: "none" as const, reason: `${d.reason}; ${err.message}` };
      }
      throw err;
    }
  }

  async #measure(
    appId: string,
    componentId: string,
    cond: OptimizationCondition,
  ): Promise<number | null> {
    const to = this.#clock.now();
    const from = to - cond.windowMinutes * 60_000;
    if (cond.metric === "output_stability") {
      return outputStability(await this.#o.jit.samples.list(appId, componentId), from);
    }
    const m = this.#o.metrics;
    if (!m) return null;
    const q = { appId, componentId, from, to };
    const calls = m.summary({ name: "kiln.invocations", ...q });
    switch (cond.metric) {
      case "call_count":
        return calls.sum;
      case "freq_per_min":
        return calls.sum / cond.windowMinutes;
      case "error_rate": {
        if (!calls.sum) return null;
        const ok = m.summary({ name: "kiln.invocations", ...q, labels: { outcome: "ok" } }).sum;
        return (calls.sum - ok) / calls.sum;
      }
      case "latency_ms":
        return pick(m.summary({ name: "kiln.invocation.duration_ms", ...q }), cond.aggregation);
      case "cost_usd": {
        const cost = m.summary({ name: "kiln.llm.cost_usd", ...q });
        return cond.aggregation === "sum" ? cost.sum : calls.sum ? cost.sum / calls.sum : null;
      }
      default:
        return null;
    }
  }
}

/**
 * The rules one component is judged by, most specific first: a component rule overrides an app
 * or global rule of the same `ruleId`, an app rule a global one.
 */
export function effectiveRules(
  globalRules: readonly GlobalOptimizationRule[],
  app: readonly OptimizationRule[],
  componentId: string,
  appId?: string,
): { rule: OptimizationRule; level: "global" | "app" | "component" }[] {
  // A global rule limited to one app applies to that app only.
  const global = globalRules.filter((r) => r.appId === undefined || r.appId === appId);
  const byId = new Map<string, { rule: OptimizationRule; level: "global" | "app" | "component" }>();
  const put = (rules: readonly OptimizationRule[], level: "global" | "app" | "component") => {
    for (const rule of rules) {
      if (rule.componentId && rule.componentId !== componentId) continue;
      byId.set(rule.ruleId, { rule, level });
    }
  };
  put(global.filter((r) => !r.componentId), "global");
  put(global.filter((r) => r.componentId), "component");
  put(app.filter((r) => !r.componentId), "app");
  put(app.filter((r) => r.componentId), "component");
  const rank = { component: 0, app: 1, global: 2 };
  return [...byId.values()].filter((r) => r.rule.enabled).sort((a, b) =>
    rank[a.level] - rank[b.level]
  );
}

function pick(s: WindowSummary, aggregation: OptimizationCondition["aggregation"]): number | null {
  switch (aggregation) {
    case "p50":
      return s.p50;
    case "p95":
      return s.p95;
    case "p99":
      return s.p99;
    case "sum":
      return s.sum;
    case "count":
      return s.count;
    default:
      return s.avg;
  }
}

function compare(a: number, op: OptimizationCondition["operator"], b: number): boolean {
  switch (op) {
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}
