/**
 * Time for the engine: `now` from the injected Clock and timers that tests replace with a
 * `@sinonjs/fake-timers` clock, so waits, backoff and timeouts run without real sleeps.
 */
import { type Clock, KilnError, systemClock } from "../core/mod.ts";

/** The timer seam; `random` drives retry jitter. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

/** Real timers over `clock`. */
export function systemTimers(clock: Clock = systemClock): Timers {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as number),
    random: Math.random,
  };
}

/** Why a signal was aborted, as the error a waiting step fails with. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new KilnError("CANCELLED", "the run was cancelled");
}

/** Resolves after `ms`, or rejects with the abort reason when `signal` fires first. */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(abortError(signal));
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `work` with a child signal that aborts when `signal` does or after `timeoutMs`; the
 * timeout rejects with EXECUTION_TIMEOUT at once, even if `work` ignores its signal.
 */
export async function withTimeout<T>(
  timers: Timers,
  timeoutMs: number | undefined,
  signal: AbortSignal,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const child = new AbortController();
  const onAbort = () => child.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  let handle: unknown;
  const stop = new Promise<never>((_, reject) => {
    child.signal.addEventListener("abort", () => reject(abortError(child.signal)), { once: true });
    if (timeoutMs !== undefined) {
      handle = timers.setTimeout(() => {
        child.abort(
          new KilnError("EXECUTION_TIMEOUT", `${what} timed out after ${timeoutMs} ms`, {
            reason: "timeout",
            timeoutMs,
          }),
        );
      }, timeoutMs);
    }
  });
  stop.catch(() => {});
  try {
    if (signal.aborted) throw abortError(signal);
    return await Promise.race([work(child.signal), stop]);
  } finally {
    if (handle !== undefined) timers.clearTimeout(handle);
    signal.removeEventListener("abort", onAbort);
    if (!child.signal.aborted) child.abort(new KilnError("CANCELLED", `${what} ended`));
  }
}
