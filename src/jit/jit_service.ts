import {
  type Clock,
  KilnError,
  type Logger,
  quote,
  systemClock,
  toKilnError,
} from "../core/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import type { Registry } from "../registry/mod.ts";
import { generatedTask, switchToGenerated, switchToLlm } from "./activation.ts";
import { type GeneratorDeps, nextVersion, runGeneration } from "./generator.ts";
import {
  type AuditEntry,
  type JitComponentRecord,
  type JitGeneration,
  type JitProgressEvent,
  JitRecords,
} from "./jit_records.ts";
import { SampleStore } from "./sample_store.ts";
import type { ShadowFigures } from "./shadow.ts";
import { JitHooks, type JitMetrics } from "./jit_hooks.ts";
import { JitTally } from "./jit_tally.ts";
import type { StoreDriver } from "../state/mod.ts";

/** What the JIT service is built from. */
export interface JitServiceOptions extends Omit<GeneratorDeps, "samples" | "clock" | "logger"> {
  registry: Registry;
  store: StoreDriver;
  metrics?: JitMetrics;
  clock?: Clock;
  logger: Logger;
  random?: () => number;
}

/** A component's hardening, as the API, MCP tools, CLI and admin panel show it. */
export interface JitComponentStatus {
  appId: string;
  componentId: string;
  handlerType: ComponentDefinition["handlerType"];
  state: "llm" | "generating" | "shadow" | "active" | "rolled_back";
  activeVersion?: string;
  versions: JitComponentRecord["versions"];
  samples: number;
  shadow?: ShadowFigures;
  fallbacks: number;
  lastGeneration?: JitGeneration;
  rolledBackAt?: string;
  rollbackReason?: string;
}

const DECIDED = {
  activate: "activated",
  reject: "rejected",
  undecided: "undecided",
} as const;

type Listener = (event: JitProgressEvent | { phase: "end"; generation: JitGeneration }) => void;

/**
 * The JIT loop's owner: records llm components' traffic, runs generations (one per component at
 * a time, in the background, with progress events), promotes and rolls back versions, and
 * watches generated code in shadow against the LLM — rolling back on its own when agreement
 * drops. Every decision goes to the audit log; every switch is a commit in the app's history.
 */
export class JitService {
  readonly samples: SampleStore;
  readonly records: JitRecords;
  /** What the jit handler kinds call on every llm and generated-code answer. */
  readonly hooks: JitHooks;
  readonly #o: JitServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #running = new Map<string, Promise<JitGeneration>>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(opts: JitServiceOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.with({ component: "jit" });
    this.#random = opts.random ?? Math.random;
    this.samples = new SampleStore(opts.store, { clock: this.#clock, random: this.#random });
    this.records = new JitRecords(opts.store, this.#clock);
    this.hooks = new JitHooks({
      registry: opts.registry,
      prompts: opts.prompts,
      samples: this.samples,
      tally: new JitTally(opts.store),
      metrics: opts.metrics,
      random: this.#random,
      logger: this.#log,
      track: (p) => this.#track(p),
      rollback: (appId, componentId, reason, shadow) =>
        this.rollback(appId, componentId, reason, "kiln", shadow),
    });
  }

  /** Starts a generation in the background; JIT_BUSY while one runs for the component. */
  async generate(
    appId: string,
    componentId: string,
    by: { trigger: "manual" | "rule"; actor: string; ruleId?: string; reason?: string },
  ): Promise<JitGeneration> {
    const key = `${appId}\0${componentId}`;
    if (this.#running.has(key)) {
      throw new KilnError("JIT_BUSY", `a generation for ${quote(componentId)} is running`);
    }
    const snapshot = this.#o.registry.snapshot(appId);
    const component = snapshot.components.get(componentId);
    if (!component) {
      throw new KilnError("COMPONENT_NOT_FOUND", `no component ${quote(componentId)} in ${appId}`);
    }
    if (component.handlerType !== "llm" && !generatedTask(component)) {
      throw new KilnError(
        "JIT_NOT_READY",
        `component ${quote(componentId)} is a ${component.handlerType} component; only llm ` +
          `components are hardened into code`,
      );
    }
    const { minSamples } = snapshot.optimization.generation;
    const samples = await this.samples.count(appId, componentId);
    if (samples < minSamples) {
      throw new KilnError(
        "JIT_NOT_READY",
        `component ${quote(componentId)} has ${samples} recorded calls; a generation needs at ` +
          `least ${minSamples} (optimization_config.yaml generation.minSamples)`,
        { samples, minSamples },
      );
    }
    const now = this.#clock.now();
    const gen: JitGeneration = {
      generationId: `${String(now).padStart(14, "0")}-${crypto.randomUUID().slice(0, 8)}`,
      appId,
      componentId,
      status: "running",
      trigger: by.trigger,
      ...(by.ruleId ? { ruleId: by.ruleId } : {}),
      startedAt: new Date(now).toISOString(),
      events: [],
    };
    const record = await this.records.component(appId, componentId);
    gen.version = nextVersion(record);
    record.versionsIssued = Number(gen.version.slice(1));
    record.lastGenerationId = gen.generationId;
    await this.records.saveComponent(appId, record);
    await this.records.saveGeneration(gen);
    await this.records.audit({
      appId,
      componentId,
      action: "generation_started",
      actor: by.actor,
      ...(by.ruleId ? { ruleId: by.ruleId } : {}),
      reason: by.reason ?? `${by.trigger} trigger`,
      details: { generationId: gen.generationId, version: gen.version },
    });
    const work = this.#run(gen, snapshot, record, by.actor).finally(() =>
      this.#running.delete(key)
    );
    this.#running.set(key, work);
    this.#track(work);
    return structuredClone(gen);
  }

  async #run(
    gen: JitGeneration,
    snapshot: ReturnType<Registry["snapshot"]>,
    record: JitComponentRecord,
    actor: string,
  ): Promise<JitGeneration> {
    const emit = async (phase: JitProgressEvent["phase"], message: string, data?: unknown) => {
      const event: JitProgressEvent = {
        at: new Date(this.#clock.now()).toISOString(),
        phase,
        message,
        ...(data === undefined ? {} : { data }),
      };
      gen.events.push(event);
      await this.records.saveGeneration(gen);
      for (const l of this.#listeners.get(gen.generationId) ?? []) l(event);
    };
    const { appId, componentId } = gen;
    try {
      const report = await runGeneration(
        { ...this.#o, samples: this.samples, clock: this.#clock, logger: this.#log },
        gen,
        snapshot,
        record,
        emit,
      );
      gen.version = report.version;
      gen.report = report;
      const outcome = DECIDED[report.decision];
      gen.status = outcome;
      record.versions.push({
        version: report.version,
        createdAt: new Date(this.#clock.now()).toISOString(),
        generationId: gen.generationId,
        decision: outcome,
        agreement: report.gate.agreement,
        lowerBound: report.gate.lowerBound,
        llmNoise: report.evidence.llm.noise,
      });
      if (report.decision === "activate") {
        record.activeVersion = report.version;
        await this.hooks.resetShadow(appId, componentId, report.evidence.llm.noise);
      }
      await this.records.saveComponent(appId, record);
      await this.records.audit({
        appId,
        componentId,
        action: report.decision === "activate"
          ? "activated"
          : report.decision === "undecided"
          ? "gate_undecided"
          : "gate_rejected",
        actor,
        reason: report.reasons.join("; "),
        details: {
          generationId: gen.generationId,
          version: report.version,
          gate: { agreement: report.gate.agreement, lowerBound: report.gate.lowerBound },
          hidden: { agreement: report.hidden.agreement, lowerBound: report.hidden.lowerBound },
          llm: report.evidence.llm,
          ...(report.evidence.needMoreSamples
            ? { needMoreSamples: report.evidence.needMoreSamples }
            : {}),
          tooFew: report.evidence.tooFew,
          commit: report.commit,
        },
      });
      await emit("done", `${outcome}: ${report.reasons.join("; ")}`);
    } catch (err) {
      const e = toKilnError(err);
      if (e !== err) {
        this.#log.error("generation failed unexpectedly", {
          appId,
          componentId,
          error: String(err),
          stack: (err as Error)?.stack,
        });
      }
      gen.status = "failed";
      gen.error = { code: e.code, message: e.message };
      await this.records.audit({
        appId,
        componentId,
        action: "generation_failed",
        actor,
        reason: `${e.code}: ${e.message}`,
        details: { generationId: gen.generationId },
      });
      await emit("done", `failed: ${e.code}: ${e.message}`);
    }
    gen.finishedAt = new Date(this.#clock.now()).toISOString();
    await this.records.saveGeneration(gen);
    for (const l of this.#listeners.get(gen.generationId) ?? []) {
      l({ phase: "end", generation: gen });
    }
    this.#listeners.delete(gen.generationId);
    return gen;
  }

  async generation(appId: string, generationId: string): Promise<JitGeneration> {
    const g = await this.records.generation(appId, generationId);
    if (!g) throw new KilnError("NOT_FOUND", `no generation ${quote(generationId)} in ${appId}`);
    return g;
  }

  /** Progress of a running generation; the listener's last call has `phase: "end"`. */
  subscribe(generationId: string, listener: Listener): () => void {
    const set = this.#listeners.get(generationId) ?? new Set();
    set.add(listener);
    this.#listeners.set(generationId, set);
    return () => set.delete(listener);
  }

  /** Waits for a generation of this process to finish. */
  async wait(appId: string, componentId: string): Promise<void> {
    await this.#running.get(`${appId}\0${componentId}`);
  }

  async status(appId: string, componentId: string): Promise<JitComponentStatus> {
    const component = this.#o.registry.snapshot(appId).components.get(componentId);
    if (!component) {
      throw new KilnError("COMPONENT_NOT_FOUND", `no component ${quote(componentId)} in ${appId}`);
    }
    return await this.#status(appId, component);
  }

  async list(appId: string): Promise<JitComponentStatus[]> {
    const snapshot = this.#o.registry.snapshot(appId);
    const out: JitComponentStatus[] = [];
    for (const c of snapshot.components.values()) {
      if (c.handlerType === "llm" || generatedTask(c)) out.push(await this.#status(appId, c));
    }
    return out;
  }

  async #status(appId: string, c: ComponentDefinition): Promise<JitComponentStatus> {
    const key = `${appId}\0${c.componentId}`;
    const record = await this.records.component(appId, c.componentId);
    const last = record.lastGenerationId
      ? await this.records.generation(appId, record.lastGenerationId)
      : undefined;
    const task = generatedTask(c);
    const shadow = await this.hooks.shadow(appId, c.componentId);
    const state: JitComponentStatus["state"] = this.#running.has(key)
      ? "generating"
      : task
      ? (shadow?.proven ? "active" : "shadow")
      : record.rolledBackAt
      ? "rolled_back"
      : "llm";
    return {
      appId,
      componentId: c.componentId,
      handlerType: c.handlerType,
      state,
      ...(task ? { activeVersion: task.jitVersion } : {}),
      versions: record.versions,
      samples: await this.samples.count(appId, c.componentId),
      ...(shadow ? { shadow } : {}),
      fallbacks: await this.hooks.fallbacks(appId, c.componentId),
      ...(last ? { lastGeneration: last } : {}),
      ...(record.rolledBackAt && !task
        ? { rolledBackAt: record.rolledBackAt, rollbackReason: record.rollbackReason }
        : {}),
    };
  }

  /** Switches a component to a version generated earlier (an operator's call, gate or not). */
  async promote(appId: string, componentId: string, version: string, actor: string) {
    const record = await this.records.component(appId, componentId);
    const v = record.versions.find((x) => x.version === version);
    if (!v) {
      throw new KilnError(
        "NOT_FOUND",
        `component ${quote(componentId)} has no version ${quote(version)}`,
        {
          versions: record.versions.map((x) => x.version),
        },
      );
    }
    const snapshot = this.#o.registry.snapshot(appId);
    const revision = await switchToGenerated(
      this.#o.state,
      appId,
      componentId,
      version,
      `_jit_code/${componentId}/${version}`,
      snapshot.revision,
      `JIT ${componentId} ${version}: promoted by ${actor}`,
    );
    v.decision = "promoted";
    record.activeVersion = version;
    delete record.rolledBackAt;
    delete record.rollbackReason;
    await this.records.saveComponent(appId, record);
    await this.hooks.resetShadow(appId, componentId, v.llmNoise ?? 0);
    await this.records.audit({
      appId,
      componentId,
      action: "promoted",
      actor,
      reason: `version ${version} promoted`,
      details: { version, commit: revision },
    });
    return await this.status(appId, componentId);
  }

  /**
   * Puts a component back on the LLM; `actor` is `kiln` for automatic rollbacks, which hand in
   * the figures of the shadow test that decided (else the live test's are recorded).
   */
  async rollback(
    appId: string,
    componentId: string,
    reason: string,
    actor: string,
    shadow?: ShadowFigures,
  ) {
    const snapshot = this.#o.registry.snapshot(appId);
    const component = snapshot.components.get(componentId);
    const task = component && generatedTask(component);
    if (!task) {
      throw new KilnError(
        "JIT_NOT_READY",
        `component ${quote(componentId)} is not running generated code`,
      );
    }
    const revision = await switchToLlm(
      this.#o.state,
      appId,
      componentId,
      snapshot.revision,
      `JIT ${componentId} ${task.jitVersion}: roll back to the LLM (${reason})`,
    );
    const record = await this.records.component(appId, componentId);
    const v = record.versions.find((x) => x.version === task.jitVersion);
    if (v) v.decision = "rolled_back";
    delete record.activeVersion;
    record.rolledBackAt = new Date(this.#clock.now()).toISOString();
    record.rollbackReason = reason;
    await this.records.saveComponent(appId, record);
    const figures = shadow ?? await this.hooks.shadow(appId, componentId);
    await this.hooks.resetShadow(appId, componentId);
    await this.records.audit({
      appId,
      componentId,
      action: "rolled_back",
      actor,
      reason,
      details: {
        version: task.jitVersion,
        commit: revision,
        ...(figures ? { shadow: figures } : {}),
      },
    });
    return await this.status(appId, componentId);
  }

  async audit(appId: string, limit?: number): Promise<AuditEntry[]> {
    return await this.records.auditLog(appId, limit);
  }

  /** Resolves when no generation, sample write or shadow check of this process is in flight. */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
  }
}
