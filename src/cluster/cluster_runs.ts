/**
 * What a cluster node's workflow engine and token checks are handed: run leases, cluster-wide
 * step events and token revocations, and the sweeper that takes over a dead node's runs. Opened
 * by the composition root when `--cluster` is given.
 */
import { KilnError, type Logger, quote } from "../core/mod.ts";
import { closeRedis, command, connectRedis } from "./_redis.ts";
import type { ClusterConnection } from "./connection.ts";
import { type LeaseTiming, RunLeaseManager } from "./leases.ts";
import { RunSweeper } from "./run_sweeper.ts";
import { SharedRevocations } from "./shared_revocations.ts";
import { turnLease } from "./turn_lease.ts";
import { listPeers, type Peer } from "./peers.ts";
import { type SharedEvent, SharedRunEvents } from "./shared_events.ts";

/** The cluster's run coordination on one node. */
export interface ClusterRuns<E extends SharedEvent = SharedEvent> {
  nodeId: string;
  leases: RunLeaseManager;
  events: SharedRunEvents<E>;
  revocations: SharedRevocations;
  /**
   * Whether this node runs the oracle's timed evaluation now (its lease outlives one interval,
   * so the holder keeps it while it lives).
   */
  oracleTurn(everyMs: number): () => Promise<boolean>;
  /** The other nodes that are up (for cluster-wide answers). */
  peers(): Promise<Peer[]>;
  /** Starts sweeping with the engine's take-over (`WorkflowEngine.adopt`). */
  sweep(adopt: (appId: string, runId: string) => Promise<boolean>): RunSweeper;
  /** Stops renewing and closes the connections (after the engine released its runs). */
  close(): Promise<void>;
}

const NODE_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** A node id: the one given, or the host name with a random suffix. */
export function nodeIdOf(given?: string): string {
  if (given !== undefined) {
    if (!NODE_ID.test(given)) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `a node id is 1-100 letters, digits, ".", "_" or "-", got ${quote(given)}`,
      );
    }
    return given;
  }
  const host = Deno.hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 60) || "node";
  return `${host}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Builds the pieces on the node's command connection (`conn`, shared with `ClusterNode`) or on a
 * connection of their own to `url`; pub/sub gets its own connection. UNAVAILABLE when Redis is
 * down.
 */
export async function openClusterRuns<E extends SharedEvent>(opts: {
  url?: string;
  conn?: Pick<ClusterConnection, "client" | "prefix">;
  nodeId?: string;
  prefix?: string;
  logger: Logger;
  timing?: Partial<LeaseTiming>;
  sweepEveryMs?: number;
  /** The runtime store is on this Redis: leases fence checkpoint saves (`RunLease.fence`). */
  fenceSaves?: boolean;
}): Promise<ClusterRuns<E>> {
  const nodeId = nodeIdOf(opts.nodeId);
  const owned = opts.conn === undefined;
  if (owned && opts.url === undefined) {
    throw new KilnError("INTERNAL", "openClusterRuns needs a connection or a URL");
  }
  const client = opts.conn?.client ?? await connectRedis(opts.url!);
  const subscriber = client.duplicate();
  subscriber.on("error", () => {});
  try {
    await command(() => subscriber.connect());
  } catch (err) {
    if (owned) await closeRedis(client);
    throw err;
  }
  const logger = opts.logger.with({ node: nodeId });
  const prefix = opts.prefix ?? opts.conn?.prefix;
  const common = { nodeId, prefix, logger };
  const leases = new RunLeaseManager({
    client,
    timing: opts.timing,
    fenceSaves: opts.fenceSaves,
    ...common,
  });
  const events = new SharedRunEvents<E>({ publisher: client, subscriber, ...common });
  const revocations = new SharedRevocations({ publisher: client, subscriber, ...common });
  await revocations.load();
  let sweeper: RunSweeper | undefined;
  return {
    nodeId,
    leases,
    events,
    revocations,
    oracleTurn: (everyMs) =>
      turnLease({ client, nodeId, name: "oracle", ttlMs: everyMs * 2, prefix }),
    peers: () => listPeers(client, prefix),
    sweep(adopt) {
      sweeper = new RunSweeper({
        orphans: () => leases.orphans(),
        adopt,
        logger,
        everyMs: opts.sweepEveryMs,
      });
      sweeper.start();
      return sweeper;
    },
    async close() {
      await sweeper?.stop();
      leases.close();
      await closeRedis(subscriber);
      if (owned) await closeRedis(client);
    },
  };
}
