/**
 * How one execution ended, as every in-process tier reports it, and the one mapping from that to
 * the `/execute` response or the error the caller sees. Keeping it here means a timeout, a memory
 * kill or an output overflow reads the same whichever tier ran the code.
 */
import {
  jsonTextShape,
  type KillReason,
  type KilnError,
  LIMITS,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
  shapeMessage,
} from "../core/mod.ts";
import type { ExecuteResponse } from "../models/mod.ts";
import type { ExecutionJob, TierName } from "./tier.ts";

/** A guest's verdict (`ok`, `error`) or the sandbox's (`killed`, with why). */
export type RunOutcome =
  | { kind: "ok"; json: string }
  | { kind: "error"; code: string; message: string }
  | {
    kind: "killed";
    reason: KillReason;
    message: string;
    aborted?: true;
    /** The named budget an `output` kill crossed, when it was not the byte cap. */
    limit?: "json.depth" | "json.items";
  };

/** Counts kills by reason, for `TierStats.kills`. */
export type KillTally = Record<string, number>;

/**
 * The `/execute` response for an outcome; a `killed` outcome is thrown instead, as
 * SandboxTimeoutError or SANDBOX_KILLED with its reason, and counted in `kills`. A result nested
 * deeper than `json.depth` is killed for `output` here, before anything walks it recursively.
 */
export function responseFor(
  tier: TierName,
  job: ExecutionJob,
  outcome: RunOutcome,
  startedAt: number,
  kills: KillTally,
): ExecuteResponse {
  const metrics = {
    execution_time_ms: Math.round((performance.now() - startedAt) * 1000) / 1000,
    mcp_calls: [],
  };
  const { requestId } = job.request;
  if (outcome.kind === "ok") {
    const { over } = jsonTextShape(outcome.json);
    if (!over) {
      return { requestId, resultType: "generic", data: JSON.parse(outcome.json), metrics };
    }
    const message = shapeMessage("the result", over);
    outcome = { kind: "killed", reason: "output", message, limit: over };
  }
  if (outcome.kind === "error") {
    const data = { code: outcome.code, message: outcome.message };
    return { requestId, resultType: "error", data, metrics };
  }
  kills[outcome.reason] = (kills[outcome.reason] ?? 0) + 1;
  throw killError(tier, job, outcome);
}

/** The error for a killed execution; the message names the component and the limit it broke. */
export function killError(
  tier: TierName,
  job: ExecutionJob,
  outcome: Extract<RunOutcome, { kind: "killed" }>,
): KilnError {
  const { reason } = outcome;
  const { limits, request: { requestId, context } } = job;
  const aborted = outcome.aborted === true;
  const what = {
    timeout: aborted
      ? "was stopped because the caller went away"
      : `ran past its ${limits.timeoutMs} ms deadline`,
    memory: `exceeded its ${limits.memoryMb} MB memory limit`,
    stack: "exceeded the maximum call stack depth",
    output: outcome.limit === "json.depth"
      ? `returned a result nested more than ${LIMITS["json.depth"]} levels deep`
      : outcome.limit === "json.items"
      ? `returned a result of more than ${LIMITS["json.items"]} items`
      : `produced more than ${limits.maxOutputBytes} bytes of output`,
    crash: `crashed its ${tier} sandbox`,
    shutdown: `was stopped because the ${tier} tier is shutting down`,
  }[reason satisfies KillReason];
  const message = `the execution of ${quote(`${context.appId}/${context.componentId}`)} ${what}`;
  const details = {
    tier,
    requestId,
    detail: outcome.message,
    ...(aborted ? { aborted } : {}),
    ...(outcome.limit ? { limit: outcome.limit } : {}),
  };
  if (reason === "timeout") {
    return new SandboxTimeoutError(message, { ...details, timeoutMs: limits.timeoutMs });
  }
  return sandboxKilled(reason, message, details);
}
