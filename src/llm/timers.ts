import type { Clock } from "../core/mod.ts";

/**
 * The gateway's time seam: the core `Clock` plus timers, so timeouts, backoff and recorded
 * latency run on fake time in tests (`FakeTimers.withGlobal(globalThis).createClock()` fits).
 */
export interface LlmTimers extends Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Real time. Globals are looked up per call so installed fake timers still apply. */
export const systemTimers: LlmTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** Resolves after `ms` on `timers`, or rejects with the signal's reason when it aborts first. */
export function sleep(timers: LlmTimers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timers.clearTimeout(id);
      reject(signal!.reason);
    };
    const id = timers.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
