/**
 * Durable run records on the runtime store (contract §3's StoreDriver: embedded SQLite or Redis).
 * A run's record is its checkpoint: rewritten after every step, before the next one starts.
 * Finished runs expire after the retention period; running ones are indexed for resume.
 */
import type { StoreDriver, StoreFence } from "../state/mod.ts";
import { type JsonValue, KilnError, quote } from "../core/mod.ts";
import type { RunRecord, RunStatus } from "./types.ts";

const INDEX_SCOPE = "kiln:workflow";

/** A run in listings: the record without outputs and trace. */
export type RunSummary = Omit<RunRecord, "outputs" | "trace" | "context" | "trigger"> & {
  steps: number;
};

/** Filters of {@link RunStore.list}. */
export interface RunFilter {
  workflowId?: string;
  status?: RunStatus;
  limit?: number;
}

/** Where runs, the in-flight index and idempotency keys live. */
export class RunStore {
  constructor(
    private readonly store: StoreDriver,
    /** How long finished runs (and idempotency keys) are kept. */
    readonly retentionSeconds: number,
  ) {}

  /**
   * Writes the checkpoint; a finished run gets its retention TTL and leaves the index. With a
   * `fence` (the run's lease) on a store that can check it, the write lands only while the lease
   * is still this node's: otherwise CONFLICT with `details.reason` "lease_lost", nothing written.
   */
  async save(run: RunRecord, fence?: StoreFence): Promise<void> {
    const done = run.status !== "running";
    const scope = scopeOf(run.appId);
    const key = `run:${run.runId}`;
    const ttl = done ? this.retentionSeconds : undefined;
    const value = run as unknown as JsonValue;
    if (fence && this.store.setFenced) {
      if (!await this.store.setFenced(scope, key, value, ttl, fence)) {
        throw new KilnError(
          "CONFLICT",
          `run ${quote(run.runId)} is no longer this node's to drive: its checkpoint was not saved`,
          { reason: "lease_lost", runId: run.runId },
        );
      }
    } else {
      await this.store.set(scope, key, value, ttl);
    }
    if (done) await this.store.delete(INDEX_SCOPE, `active:${run.appId}:${run.runId}`);
  }

  /** Adds a new run to the in-flight index (once, at its start). */
  async index(run: RunRecord): Promise<void> {
    await this.store.set(INDEX_SCOPE, `active:${run.appId}:${run.runId}`, true);
  }

  async get(appId: string, runId: string): Promise<RunRecord | null> {
    const entry = await this.store.get(scopeOf(appId), `run:${runId}`);
    return entry.found ? entry.value as unknown as RunRecord : null;
  }

  /** The app's runs, newest first. */
  async list(appId: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    const rows = await this.store.list(scopeOf(appId), "run:");
    return rows
      .map((r) => r.value as unknown as RunRecord)
      .filter((r) => !filter.workflowId || r.workflowId === filter.workflowId)
      .filter((r) => !filter.status || r.status === filter.status)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, filter.limit ?? 100)
      .map(({ outputs: _o, trace, context: _c, trigger: _t, ...rest }) => ({
        ...rest,
        steps: trace.length,
      }));
  }

  /** Runs that were in flight when the process stopped. */
  async inFlight(): Promise<{ appId: string; runId: string }[]> {
    const rows = await this.store.list(INDEX_SCOPE, "active:");
    return rows.map((r) => {
      const [, appId, runId] = r.key.split(":");
      return { appId, runId };
    });
  }

  /** Drops an index entry whose run is gone. */
  async forget(appId: string, runId: string): Promise<void> {
    await this.store.delete(INDEX_SCOPE, `active:${appId}:${runId}`);
  }

  /**
   * Claims idempotency `key` for `runId` atomically (across nodes on a shared store): null when
   * this caller got it, else the run that claimed it first with its request's fingerprint.
   */
  async claim(
    appId: string,
    key: string,
    runId: string,
    fingerprint: string,
  ): Promise<{ runId: string; fingerprint: string } | null> {
    const seen = await this.store.setIfAbsent(
      scopeOf(appId),
      `idem:${key}`,
      { runId, fingerprint },
      this.retentionSeconds,
    );
    return seen.found ? seen.value as { runId: string; fingerprint: string } : null;
  }

  /** Gives a claimed key up (its run could not be started). */
  async unclaim(appId: string, key: string): Promise<void> {
    await this.store.delete(scopeOf(appId), `idem:${key}`);
  }
}

function scopeOf(appId: string): string {
  return `kiln:workflow:${appId}`;
}
