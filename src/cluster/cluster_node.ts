import { hostname } from "node:os";
import { type Clock, KilnError, type Logger, quote, systemClock } from "../core/mod.ts";
import { ChangeFeed, type FeedHandlers } from "./change_feed.ts";
import { command } from "./_redis.ts";
import { type ClusterConnection, connectCluster } from "./connection.ts";
import { clusterKeys } from "./keys.ts";
import { type ClusterStatus, Membership } from "./membership.ts";
import { SharedRefs } from "./shared_refs.ts";

export interface ClusterOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Stable only when given; default: the host name and a random suffix. */
  nodeId?: string;
  /** The URL other nodes reach this one at; default: the address it listens on. */
  advertiseUrl?: string;
  prefix?: string;
  clock?: Clock;
  logger: Logger;
}

/** What the node needs from the rest of Kiln once it runs. */
export interface NodeParts extends FeedHandlers {
  /** Apps served and workflow runs driven here, for the node's entry. */
  stats(): { apps: number; runs: number };
}

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const HEALTH_PING_MS = 1_000;

/**
 * One Kiln node of a cluster: the shared definitions (`refs`, the state's publisher), the change
 * feed, and the node's membership entry. `join` connects and marks the feed's end before the
 * registry loads, so no change made meanwhile is missed; `run` starts applying the feed.
 */
export class ClusterNode {
  readonly refs: SharedRefs;
  readonly #feed: ChangeFeed;
  #membership: Membership | null = null;
  #ready = false;
  #leaving = false;

  private constructor(
    readonly conn: ClusterConnection,
    readonly nodeId: string,
    readonly opts: ClusterOptions,
  ) {
    const keys = clusterKeys(conn.prefix);
    this.refs = new SharedRefs(conn, keys, nodeId, opts.logger);
    this.#feed = new ChangeFeed(conn, keys, nodeId, opts.logger);
  }

  static async join(opts: ClusterOptions): Promise<ClusterNode> {
    const nodeId = opts.nodeId ?? `${hostname()}-${crypto.randomUUID().slice(0, 8)}`;
    if (!NODE_ID.test(nodeId)) {
      throw new KilnError("VALIDATION_ERROR", `invalid node id ${quote(nodeId)}`, {
        issues: [{ path: "", field: "nodeId", message: `must match ${NODE_ID.source}` }],
      });
    }
    const conn = await connectCluster(opts.url, { prefix: opts.prefix });
    const node = new ClusterNode(conn, nodeId, opts);
    try {
      await node.#feed.mark();
    } catch (err) {
      await conn.close();
      throw err;
    }
    return node;
  }

  /** Tells the other nodes an app's record changed. */
  announce(appId: string, kind: "record" | "deregister", deleteState = false): Promise<void> {
    return this.#feed.append({ appId, kind, deleteState });
  }

  /** Records this node's own trouble with an app (shown per node by `/v1/cluster`). */
  localTrouble(appId: string, reason: string | null): void {
    this.#membership?.trouble(appId, reason);
    if (reason !== null) this.#pendingTrouble.set(appId, reason);
    else this.#pendingTrouble.delete(appId);
  }

  readonly #pendingTrouble = new Map<string, string>();

  /** Starts the heartbeat and applying the feed (after the registry loaded). */
  async run(parts: NodeParts, url: string): Promise<void> {
    this.#membership = new Membership(this.conn, clusterKeys(this.conn.prefix), this.nodeId, {
      url: this.opts.advertiseUrl ?? url,
      clock: this.opts.clock ?? systemClock,
      logger: this.opts.logger,
      stats: parts.stats,
    });
    for (const [appId, reason] of this.#pendingTrouble) this.#membership.trouble(appId, reason);
    await this.#membership.start();
    this.#feed.run(parts);
    this.#ready = true;
  }

  /** The listening address, once known (unless `--advertise-url` set it). */
  advertise(url: string): void {
    if (!this.opts.advertiseUrl) this.#membership?.advertise(url);
  }

  status(): Promise<ClusterStatus> {
    if (!this.#membership) {
      throw new KilnError("UNAVAILABLE", "this node has not joined the cluster yet");
    }
    return this.#membership.status();
  }

  /** From now on `/healthz` says 503, so the load balancer drains this node before it stops. */
  leave(): void {
    this.#leaving = true;
  }

  /** Whether a load balancer may send traffic here: joined, feed reading, Redis answering. */
  async health(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.#leaving) return { ok: false, reason: "the node is shutting down" };
    if (!this.#ready) return { ok: false, reason: "the node is still loading apps" };
    if (!this.#feed.healthy) return { ok: false, reason: "the change feed cannot reach Redis" };
    try {
      await command(() => this.conn.client.ping(), HEALTH_PING_MS);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.#ready = false;
    await this.#membership?.close();
    await this.#feed.close();
    await this.conn.close();
  }
}
