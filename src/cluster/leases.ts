/**
 * Workflow runs owned by leases in Redis (one node drives a run at a time). A lease is
 * `SET <p>:cluster:{run:<runId>}:lease <nodeId> PX 5000 NX`; the node renews all its leases in one
 * script call every 1.5 s (compare-and-pexpire) and releases one by compare-and-del. A node that
 * cannot renew a lease stops driving the run before the lease can expire (at TTL − margin after
 * the last renewal it saw succeed), so two nodes never drive one run. Runs in flight are kept in
 * the ZSET `<p>:cluster:runs:inflight`, where the sweeper finds those whose lease is gone.
 */
import type { Logger } from "../core/mod.ts";
import type { StoreFence } from "../state/mod.ts";
import { clusterKey, deadline, type RedisClient, unavailable } from "./_redis.ts";

/** Lease timing; tests shorten it. */
export interface LeaseTiming {
  ttlMs: number;
  renewEveryMs: number;
  /** How long before the lease could expire a node that could not renew stops driving. */
  marginMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  ttlMs: 5_000,
  renewEveryMs: 1_500,
  marginMs: 1_000,
};

/** ARGV: nodeId, ttl ms; KEYS: leases. Returns 1/0 per key: still ours and extended, or lost. */
const RENEW = `
local out = {}
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then
    redis.call('PEXPIRE', k, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`;

/** KEYS[1]: lease; ARGV[1]: nodeId. Deletes the lease only if this node holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A held lease, as the workflow engine sees it (its `RunLease` seam). */
export interface HeldLease {
  readonly lost: AbortSignal;
  /** The lease key and this node's id, for saves the store checks against it (`fenceSaves`). */
  readonly fence?: StoreFence;
  release(finished: boolean): Promise<void>;
}

interface Held {
  appId: string;
  controller: AbortController;
  deadline: ReturnType<typeof setTimeout>;
}

/** A run id in the in-flight ZSET: app and run. */
export interface InFlightRun {
  appId: string;
  runId: string;
}

/** This node's leases on workflow runs (the engine's `RunLeases` seam in cluster mode). */
export class RunLeaseManager {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #timing: LeaseTiming;
  readonly #held = new Map<string, Held>();
  readonly #timer: ReturnType<typeof setInterval>;
  #renewing = false;
  readonly #fenceSaves: boolean;

  constructor(opts: {
    client: RedisClient;
    nodeId: string;
    prefix?: string;
    logger: Logger;
    timing?: Partial<LeaseTiming>;
    /** Hand out each lease as a fence (the store is on this Redis and can check it). */
    fenceSaves?: boolean;
  }) {
    this.#fenceSaves = opts.fenceSaves ?? false;
    this.#client = opts.client;
    this.nodeId = opts.nodeId;
    this.#prefix = opts.prefix ?? "kiln";
    this.#log = opts.logger.with({ component: "leases" });
    this.#timing = { ...DEFAULT_LEASE_TIMING, ...opts.timing };
    this.#timer = setInterval(() => void this.#renewAll(), this.#timing.renewEveryMs);
  }

  readonly nodeId: string;

  /** How many runs this node holds. */
  get held(): number {
    return this.#held.size;
  }

  /** Takes a run's lease and tracks the run as in flight; null when another node holds it. */
  async acquire(appId: string, runId: string): Promise<HeldLease | null> {
    if (this.#held.has(runId)) return null;
    const asked = Date.now();
    try {
      // The lease first: a tracked run without one is what the sweepers take over.
      const ok = await deadline(this.#client.set(this.#lease(runId), this.nodeId, {
        expiration: { type: "PX", value: this.#timing.ttlMs },
        condition: "NX",
      }));
      if (ok !== "OK") return null;
      await deadline(
        this.#client.zAdd(this.#inflight(), { score: asked, value: member(appId, runId) }, {
          condition: "NX",
        }),
      ).catch(async (err) => {
        await this.#client.eval(RELEASE, { keys: [this.#lease(runId)], arguments: [this.nodeId] })
          .catch(() => {});
        throw err;
      });
    } catch (err) {
      throw unavailable(err);
    }
    const controller = new AbortController();
    const held: Held = { appId, controller, deadline: this.#deadline(runId, asked) };
    this.#held.set(runId, held);
    return {
      lost: controller.signal,
      ...(this.#fenceSaves ? { fence: { key: this.#lease(runId), holder: this.nodeId } } : {}),
      release: (finished) => this.#release(runId, held, finished),
    };
  }

  /** In-flight runs whose lease is gone (their node died or gave them up), oldest first. */
  async orphans(limit = 200): Promise<InFlightRun[]> {
    try {
      const members = await deadline(this.#client.zRange(this.#inflight(), 0, limit - 1));
      const runs = members.map(parseMember).filter((r): r is InFlightRun => r !== null);
      const leased = await deadline(
        Promise.all(runs.map((r) => this.#client.exists(this.#lease(r.runId)))),
      );
      return runs.filter((r, i) => leased[i] === 0 && !this.#held.has(r.runId));
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** Stops renewing; leases still held expire on their own (release them first to hand over). */
  close(): void {
    clearInterval(this.#timer);
    for (const held of this.#held.values()) clearTimeout(held.deadline);
  }

  async #release(runId: string, held: Held, finished: boolean): Promise<void> {
    if (this.#held.get(runId) !== held) return;
    this.#held.delete(runId);
    clearTimeout(held.deadline);
    try {
      if (finished) await deadline(this.#client.zRem(this.#inflight(), member(held.appId, runId)));
      await deadline(
        this.#client.eval(RELEASE, { keys: [this.#lease(runId)], arguments: [this.nodeId] }),
      );
    } catch (err) {
      // The lease expires on its own; a finished run left in the set is dropped by the sweeper.
      this.#log.warn("releasing a run lease failed", { runId, error: String(err) });
    }
  }

  async #renewAll(): Promise<void> {
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = true;
    const ids = [...this.#held.keys()];
    const asked = Date.now();
    try {
      const answers = await deadline(this.#client.eval(RENEW, {
        keys: ids.map((id) => this.#lease(id)),
        arguments: [this.nodeId, String(this.#timing.ttlMs)],
      })) as number[];
      ids.forEach((id, i) => {
        const held = this.#held.get(id);
        if (!held) return;
        if (answers[i] === 1) {
          clearTimeout(held.deadline);
          held.deadline = this.#deadline(id, asked);
        } else {
          this.#lose(id, held, "the lease was taken over or expired");
        }
      });
    } catch (err) {
      // Deadlines still run: a run whose lease could not be renewed in time is stopped.
      this.#log.warn("renewing run leases failed", { runs: ids.length, error: String(err) });
    } finally {
      this.#renewing = false;
    }
  }

  /** Stops driving at TTL − margin after `from`, unless a renewal moves the deadline. */
  #deadline(runId: string, from: number): ReturnType<typeof setTimeout> {
    const ms = from + this.#timing.ttlMs - this.#timing.marginMs - Date.now();
    return setTimeout(() => {
      const held = this.#held.get(runId);
      if (held) this.#lose(runId, held, "the lease could not be renewed in time");
    }, Math.max(0, ms));
  }

  #lose(runId: string, held: Held, why: string): void {
    this.#held.delete(runId);
    clearTimeout(held.deadline);
    this.#log.warn("lost a run lease; stopped driving the run", { runId, why });
    held.controller.abort(new Error(why));
  }

  #lease(runId: string): string {
    return clusterKey(this.#prefix, `{run:${runId}}`, "lease");
  }

  #inflight(): string {
    return clusterKey(this.#prefix, "runs", "inflight");
  }
}

function member(appId: string, runId: string): string {
  return `${appId}\n${runId}`;
}

function parseMember(text: string): InFlightRun | null {
  const at = text.indexOf("\n");
  return at <= 0 ? null : { appId: text.slice(0, at), runId: text.slice(at + 1) };
}
