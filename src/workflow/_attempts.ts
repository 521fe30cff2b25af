/**
 * One step's attempts: the timeout of each attempt, the retry policy between them (max
 * attempts, exponential backoff with a cap and jitter, which error codes), and a trace entry per
 * attempt so retries are counted where users see them.
 */
import type { RetryPolicy } from "../models/mod.ts";
import type { JsonValue } from "../core/mod.ts";
import { type Frame, record, stepError, StepFailed } from "./_frame.ts";
import { sleep, type Timers, withTimeout } from "./_timers.ts";
import type { CompiledStep, StepError } from "./types.ts";

type Policy = ReturnType<typeof RetryPolicy.parse>;

/** Codes never retried: a retry cannot fix them. */
const FINAL = new Set(["EXPRESSION_ERROR", "CANCELLED", "STEP_INTERRUPTED", "VALIDATION_ERROR"]);

/** The delay before attempt `attempt + 1`. */
export function backoffDelay(policy: Policy, attempt: number, random: () => number): number {
  const base = Math.min(
    policy.maxBackoffMs,
    policy.backoffMs * policy.backoffMultiplier ** (attempt - 1),
  );
  return policy.jitter ? Math.round(base * (0.5 + random() * 0.5)) : base;
}

/** Whether `error` may be retried under `policy`. */
export function retryable(policy: Policy, error: StepError): boolean {
  if (FINAL.has(error.code)) return false;
  return policy.retryOn === undefined || policy.retryOn.includes(error.code);
}

/**
 * Runs `work` under the step's timeout and retry policy. Resolves with the output of the first
 * attempt that succeeds; throws StepFailed with the last error otherwise.
 */
export async function attempts(
  frame: Frame,
  step: CompiledStep,
  work: (signal: AbortSignal) => Promise<JsonValue>,
  firstStartedAt?: number,
): Promise<JsonValue> {
  const timers: Timers = frame.deps.timers;
  const policy = step.def.retryPolicy ?? { maxAttempts: 1 } as Policy;
  const stepId = frame.prefix + step.id;
  for (let attempt = 1;; attempt++) {
    const startedAt = attempt === 1 && firstStartedAt !== undefined ? firstStartedAt : timers.now();
    try {
      const output = await withTimeout(
        timers,
        step.def.timeoutMs,
        frame.signal,
        `step "${stepId}"`,
        work,
      );
      record(frame, { stepId, attempt, status: "succeeded", startedAt, endedAt: timers.now() });
      return output;
    } catch (err) {
      const error = stepError(err);
      if (frame.signal.aborted) throw err;
      const again = attempt < policy.maxAttempts && retryable(policy, error);
      record(frame, {
        stepId,
        attempt,
        status: again ? "retrying" : "failed",
        startedAt,
        endedAt: timers.now(),
        error,
      });
      if (!again) throw new StepFailed(error, stepId);
      await sleep(timers, backoffDelay(policy, attempt, timers.random), frame.signal);
    }
  }
}
