import type { KilnError } from "../core/mod.ts";
import type { ExecuteResponse } from "../models/mod.ts";
import type { TierName } from "../sandbox/mod.ts";

/** How one invocation ended, as the counters and the log line name it. */
export type InvocationOutcome =
  | "ok"
  | "app_error"
  | "timeout"
  | "killed"
  | "overloaded"
  | "unavailable"
  | "build_failed"
  | "bad_result"
  | "rejected"
  | "failed";

/** Counters of one (app, component, tier, outcome). */
export interface InvocationStat {
  appId: string;
  componentId: string;
  /** `none` when the invocation ended before a tier was chosen. */
  tier: TierName | "none";
  outcome: InvocationOutcome;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** The outcome of a result the tier answered. */
export function resultOutcome(result: ExecuteResponse): InvocationOutcome {
  return result.resultType === "error" ? "app_error" : "ok";
}

/** The outcome of a failure, by its code. */
export function errorOutcome(err: KilnError): InvocationOutcome {
  switch (err.code) {
    case "EXECUTION_TIMEOUT":
      return "timeout";
    case "SANDBOX_KILLED":
      return "killed";
    case "OVERLOADED":
      return "overloaded";
    case "TIER_UNAVAILABLE":
    case "UNAVAILABLE":
      return "unavailable";
    case "COMPONENT_BUILD_FAILED":
      return "build_failed";
    case "BAD_GATEWAY":
      return "bad_result";
    case "INTERNAL":
      return "failed";
    default:
      return err.status < 500 ? "rejected" : "failed";
  }
}

/** In-memory invocation counters with latency sums, for `router.stats()` and the metric collector. */
export class InvocationStats {
  readonly #stats = new Map<string, InvocationStat>();

  record(
    appId: string,
    componentId: string,
    tier: TierName | "none",
    outcome: InvocationOutcome,
    ms: number,
  ): void {
    const key = `${appId}\0${componentId}\0${tier}\0${outcome}`;
    let stat = this.#stats.get(key);
    if (!stat) {
      stat = { appId, componentId, tier, outcome, count: 0, totalMs: 0, maxMs: 0 };
      this.#stats.set(key, stat);
    }
    stat.count++;
    stat.totalMs += ms;
    if (ms > stat.maxMs) stat.maxMs = ms;
  }

  snapshot(): InvocationStat[] {
    return [...this.#stats.values()].map((s) => ({
      ...s,
      totalMs: Math.round(s.totalMs * 1000) / 1000,
      maxMs: Math.round(s.maxMs * 1000) / 1000,
    }));
  }
}
