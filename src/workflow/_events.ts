/**
 * Step-progress events per run, for the SSE stream and any other in-process subscriber. A
 * failing listener is logged and skipped; it never stops the run or other listeners.
 */
import type { Logger } from "../core/mod.ts";
import type { RunEvent } from "./types.ts";

/** Listeners per run id. */
export class RunEvents {
  readonly #listeners = new Map<string, Set<(event: RunEvent) => void>>();

  constructor(private readonly log: Logger) {}

  /** Calls `listener` with each event of run `runId` until the returned function is called. */
  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    let set = this.#listeners.get(runId);
    if (!set) this.#listeners.set(runId, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(runId);
    };
  }

  emit(event: RunEvent): void {
    for (const listener of this.#listeners.get(event.runId) ?? []) {
      try {
        listener(event);
      } catch (err) {
        this.log.warn("run event listener failed", { runId: event.runId, error: String(err) });
      }
    }
  }
}
