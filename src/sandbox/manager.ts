import { inSpan, isTracing, KilnError, type Logger, quote, type Span } from "../core/mod.ts";
import type { MetricSink } from "../metrics/mod.ts";
import type { ExecuteResponse } from "../models/mod.ts";
import type { SandboxOverview } from "./tier.ts";
import type { ExecutionJob, TierDriver, TierName, TierStats } from "./tier.ts";
import { TalliedHost } from "./_tallied_host.ts";

/** Execution outcomes by failure code, as the metrics name them. */
const OUTCOMES: Partial<Record<string, string>> = {
  EXECUTION_TIMEOUT: "timeout",
  SANDBOX_KILLED: "killed",
  OVERLOADED: "overloaded",
  TIER_UNAVAILABLE: "unavailable",
};

/** The live-sandbox gauge is sampled after an execution at most this often per tier. */
const GAUGE_EVERY_MS = 250;

/** The container pool an execution targets, when it names one. */
function poolOf(job: ExecutionJob): string | undefined {
  const task = job.request.taskDetails as { targetPoolName?: unknown } | undefined;
  return typeof task?.targetPoolName === "string" ? task.targetPoolName : undefined;
}

/**
 * Holds the tier drivers and runs executions on them. It owns what every tier shares: the
 * per-execution tally of MCP calls that fills `metrics.mcp_calls`, one log line per execution,
 * and a clear TIER_UNAVAILABLE when a tier is missing or down — never a silent fallback, since
 * falling back could lower isolation.
 */
export class SandboxManager {
  readonly #drivers: Map<TierName, TierDriver>;
  readonly #log: Logger;
  readonly #metrics: MetricSink | undefined;
  /** When each tier's `kiln.sandbox.instances` was last sampled (performance.now() time). */
  readonly #gaugedAt = new Map<TierName, number>();

  /** `metrics` gets executions, their latency and the tier's live sandboxes. */
  constructor(drivers: TierDriver[], logger: Logger, metrics?: MetricSink) {
    this.#drivers = new Map(drivers.map((d) => [d.name, d]));
    this.#log = logger.with({ component: "sandbox" });
    this.#metrics = metrics;
  }

  /** The driver of `tier`, or why it cannot run anything now. */
  driver(tier: TierName): { driver: TierDriver } | { unavailable: string } {
    const driver = this.#drivers.get(tier);
    if (!driver) return { unavailable: `the ${tier} tier is not configured on this node` };
    const reason = driver.unavailableReason();
    return reason ? { unavailable: reason } : { driver };
  }

  /**
   * Runs one execution on `tier`; throws what the driver throws, or TIER_UNAVAILABLE. Under OTel
   * it is one span (tier, pool, outcome, the reason of a kill), and the guest's tool calls run
   * with that span active: they arrive from another process (isolate host IPC, a container's MCP
   * socket) on whatever async context reads them, so the span is handed over explicitly.
   */
  execute(tier: TierName, job: ExecutionJob): Promise<ExecuteResponse> {
    if (!isTracing) return this.#execute(tier, job, undefined);
    const { appId, componentId } = job.request.context;
    return inSpan(`kiln.sandbox.execute ${tier}`, {
      "kiln.sandbox.tier": tier,
      "kiln.app_id": appId,
      "kiln.component_id": componentId,
      ...(poolOf(job) ? { "kiln.sandbox.pool": poolOf(job) } : {}),
    }, (span) => this.#execute(tier, job, span));
  }

  async #execute(
    tier: TierName,
    job: ExecutionJob,
    span: Span | undefined,
  ): Promise<ExecuteResponse> {
    const found = this.driver(tier);
    if ("unavailable" in found) {
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `cannot run on ${quote(tier)}: ${found.unavailable}`,
        {
          tier,
        },
      );
    }
    const host = new TalliedHost(job.host, span);
    const { appId, componentId } = job.request.context;
    const started = performance.now();
    let outcome = "failed";
    try {
      const response = await found.driver.execute({ ...job, host });
      outcome = response.resultType === "error" ? "app_error" : "ok";
      span?.setAttribute("kiln.sandbox.outcome", outcome);
      response.metrics.mcp_calls = !host.tally ? [] : [...host.tally].map(([tool, t]) => ({
        tool,
        count: t.count,
        total_duration_ms: Math.round(t.total_duration_ms * 1000) / 1000,
        ...(t.recording ? { provenance: "recording" as const } : {}),
      }));
      return response;
    } catch (err) {
      const details = err instanceof KilnError ? err.details : undefined;
      this.#log.warn("execution failed", {
        appId,
        componentId,
        tier,
        requestId: job.request.requestId,
        error: err instanceof KilnError ? err.code : String(err),
        ...(details && typeof details === "object" ? details : {}),
        durationMs: Math.round(performance.now() - started),
      });
      if (err instanceof KilnError) outcome = OUTCOMES[err.code] ?? outcome;
      if (span) {
        span.setAttribute("kiln.sandbox.outcome", outcome);
        const reason = (details as { reason?: unknown } | undefined)?.reason;
        if (typeof reason === "string") span.setAttribute("kiln.sandbox.kill_reason", reason);
      }
      throw err;
    } finally {
      this.#count(found.driver, job, outcome, performance.now() - started);
    }
  }

  #count(driver: TierDriver, job: ExecutionJob, outcome: string, ms: number): void {
    const m = this.#metrics;
    if (!m) return;
    const labels = { appId: job.request.context.appId, tier: driver.name, poolName: poolOf(job) };
    m.add("kiln.sandbox.executions", 1, { ...labels, outcome });
    m.observe("kiln.sandbox.execution.duration_ms", ms, labels);
    // A tier's live count moves with starts and retirements, not with each execution, and
    // counting it walks the tier's sandboxes: sampled at most every GAUGE_EVERY_MS per tier.
    const now = performance.now();
    if (now - (this.#gaugedAt.get(driver.name) ?? -Infinity) < GAUGE_EVERY_MS) return;
    this.#gaugedAt.set(driver.name, now);
    try {
      m.gauge("kiln.sandbox.instances", driver.stats().live, { tier: driver.name });
    } catch { /* a tier that cannot count its sandboxes just has no gauge */ }
  }

  /** Per-tier counters, for the metric collector and the bench. */
  stats(): Partial<Record<TierName, TierStats>> {
    return Object.fromEntries([...this.#drivers].map(([name, d]) => [name, d.stats()]));
  }

  /** What the admin panel's sandbox page shows: each tier's availability and counters, pools. */
  overview(): SandboxOverview {
    const stats = this.stats();
    const tiers = (["isolate", "wasm", "container"] as const).map((tier) => {
      const found = this.driver(tier);
      return "unavailable" in found
        ? { tier, available: false, reason: found.unavailable, stats: stats[tier] }
        : { tier, available: true, stats: stats[tier] };
    });
    const details = [...this.#drivers.values()].map((d) => d.details?.() ?? {});
    return {
      tiers,
      pools: details.flatMap((d) => d.pools ?? []),
      isolateHosts: details.flatMap((d) => d.isolateHosts ?? []),
      componentHosts: details.flatMap((d) => d.componentHosts ?? []),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#drivers.values()].map((d) => d.close()));
  }
}
