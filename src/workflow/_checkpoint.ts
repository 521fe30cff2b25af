/**
 * Saving a run's checkpoint when the store blips. A save that fails because the store is
 * unavailable is retried with backoff for as long as this node may drive the run: until it is
 * shut down or loses the run's lease (the signal aborts with SHUTDOWN), never dropped while the
 * run goes on in memory. Without a cluster a node holds every lease for good.
 */
import { KilnError, type Logger } from "../core/mod.ts";
import { SHUTDOWN } from "./_driver.ts";
import type { Timers } from "./_timers.ts";
import type { RunStore } from "./run_store.ts";
import type { RunLease, RunLeases } from "./seams.ts";
import type { RunRecord } from "./types.ts";

/** Backoff between save attempts: 100 ms doubling to 2 s, with jitter. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

const forever: RunLease = {
  lost: new AbortController().signal,
  release: () => Promise.resolve(),
};

/** One node, no cluster: this node drives every run. */
export const localLeases: RunLeases = { acquire: () => Promise.resolve(forever) };

/** Saves `run`, retrying while the store is unavailable and the run is still this node's. */
export async function saveWithRetry(
  store: Pick<RunStore, "save">,
  run: RunRecord,
  timers: Timers,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await store.save(run);
      if (attempt > 0) {
        log.info("run checkpoint saved after retrying", { runId: run.runId, attempt });
      }
      return;
    } catch (err) {
      const retryable = err instanceof KilnError && err.code === "UNAVAILABLE";
      if (!retryable || stopped(signal)) throw err;
      if (attempt === 0) {
        log.warn("saving a run checkpoint failed; retrying", {
          runId: run.runId,
          error: String(err),
        });
      }
      const ms = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
      await pause(timers, ms * (0.75 + timers.random() / 2), signal);
    }
  }
}

function stopped(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === SHUTDOWN;
}

/** Waits `ms`, or less when the node stops driving; a cancel (already aborted) does not cut it. */
function pause(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(handle);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const handle = timers.setTimeout(done, ms);
    if (!signal.aborted) signal.addEventListener("abort", done, { once: true });
  });
}
