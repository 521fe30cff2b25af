import type { Clock, Logger } from "../core/mod.ts";
import { command } from "./_redis.ts";
import type { ClusterConnection } from "./connection.ts";
import type { ClusterKeys } from "./keys.ts";

/** What a node tells the others about itself, every heartbeat. */
export interface NodeEntry {
  nodeId: string;
  url: string;
  startedAt: string;
  lastSeenAt: string;
  /** Apps this node serves. */
  apps: number;
  /** Workflow runs this node drives. */
  runs: number;
  /** Apps this node cannot load, and why (its own trouble, not the app's status). */
  failedApps: { appId: string; reason: string }[];
}

/** A node as `GET /v1/cluster` shows it. */
export interface NodeStatus extends NodeEntry {
  status: "up" | "suspect" | "gone";
}

export interface ClusterStatus {
  nodeId: string;
  nodes: NodeStatus[];
}

const HEARTBEAT_MS = 1_000;
const ALIVE_TTL_MS = 5_000;
const SUSPECT_MS = 10_000;
const PRUNE_MS = 60 * 60_000;

/**
 * Node membership: a hash of node entries, plus a per-node key with a short TTL that the node
 * refreshes every second. A node whose key expired is `suspect` for 10 s after it was last
 * seen, then `gone`, and pruned after an hour.
 */
export class Membership {
  readonly #trouble = new Map<string, string>();
  readonly #startedAt: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #url: string;

  constructor(
    readonly conn: ClusterConnection,
    readonly keys: ClusterKeys,
    readonly nodeId: string,
    readonly opts: {
      url: string;
      clock: Clock;
      logger: Logger;
      stats: () => { apps: number; runs: number };
    },
  ) {
    this.#url = opts.url;
    this.#startedAt = new Date(opts.clock.now()).toISOString();
  }

  /** The URL other nodes reach this one at (known once the server listens). */
  advertise(url: string): void {
    this.#url = url;
  }

  /** Records (or with null clears) why this node cannot serve an app. */
  trouble(appId: string, reason: string | null): void {
    if (reason === null) this.#trouble.delete(appId);
    else this.#trouble.set(appId, reason.slice(0, 500));
  }

  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => {
      this.beat().catch(() => {});
    }, HEARTBEAT_MS);
  }

  /** Writes this node's entry and refreshes its alive key. */
  async beat(): Promise<void> {
    const entry = this.#entry();
    await command(() =>
      this.conn.client.multi()
        .hSet(this.keys.nodes, this.nodeId, JSON.stringify(entry))
        .set(this.keys.alive(this.nodeId), "1", { expiration: { type: "PX", value: ALIVE_TTL_MS } })
        .exec()
    );
  }

  async status(): Promise<ClusterStatus> {
    const all = await command(() => this.conn.client.hGetAll(this.keys.nodes));
    const entries = Object.values(all).map((text) => JSON.parse(text) as NodeEntry);
    const alive = entries.length === 0 ? [] : await command(() => {
      const multi = this.conn.client.multi();
      for (const e of entries) multi.exists(this.keys.alive(e.nodeId));
      return multi.exec();
    });
    const now = this.opts.clock.now();
    const nodes: NodeStatus[] = [];
    const pruned: string[] = [];
    entries.forEach((e, i) => {
      const age = now - Date.parse(e.lastSeenAt);
      if (!Number(alive[i]) && age > PRUNE_MS) return void pruned.push(e.nodeId);
      const status = Number(alive[i]) ? "up" : age < SUSPECT_MS ? "suspect" : "gone";
      nodes.push({ ...e, status });
    });
    if (pruned.length > 0) {
      await command(() => this.conn.client.hDel(this.keys.nodes, pruned));
    }
    nodes.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return { nodeId: this.nodeId, nodes };
  }

  /** Stops the heartbeat; the node shows as suspect, then gone. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await command(() => this.conn.client.del(this.keys.alive(this.nodeId)), 500)
      .catch(() => {});
  }

  #entry(): NodeEntry {
    return {
      nodeId: this.nodeId,
      url: this.#url,
      startedAt: this.#startedAt,
      lastSeenAt: new Date(this.opts.clock.now()).toISOString(),
      ...this.opts.stats(),
      failedApps: [...this.#trouble].map(([appId, reason]) => ({ appId, reason })),
    };
  }
}
