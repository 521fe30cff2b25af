import type { Clock, Logger } from "../core/mod.ts";
import type { ClusterNode, ClusterRuns } from "../cluster/mod.ts";
import type { ClusterView } from "../http/mod.ts";
import type { RegistryPeers } from "../registry/mod.ts";
import type { RunEvent } from "../workflow/mod.ts";
import type { Cleanups, KilnOptions } from "./options.ts";

/** This node of a cluster: its membership and the shared run layer. */
export interface JoinedCluster {
  node: ClusterNode;
  runs: ClusterRuns<RunEvent>;
}

/** Joins the cluster (`--cluster`); its code loads only on a node that is in one. */
export async function joinCluster(
  cluster: NonNullable<KilnOptions["cluster"]>,
  storeUrl: string | undefined,
  clock: Clock,
  logger: Logger,
  cleanups: Cleanups,
): Promise<JoinedCluster> {
  const { ClusterNode, openClusterRuns } = await import("../cluster/mod.ts");
  const node = await ClusterNode.join({ ...cluster, clock, logger });
  cleanups.unshift(() => node.close());
  // The node's command connection serves the runs too: one factory, one deadline. Closed after
  // the workflow engine, which releases its run leases through it.
  const runs = await openClusterRuns<RunEvent>({
    conn: node.conn,
    nodeId: node.nodeId,
    // A checkpoint save checks the run's lease in the same script, when both share a Redis.
    fenceSaves: storeUrl === cluster.url,
    logger,
  });
  cleanups.unshift(() => runs.close());
  return { node, runs };
}

/** The registry's view of the other nodes: the change feed and this node's own trouble. */
export function peersOf(node: ClusterNode): RegistryPeers {
  return {
    shared: true,
    announce: (appId, change, deleteState) => node.announce(appId, change, deleteState),
    localTrouble: (appId, reason) => node.localTrouble(appId, reason),
  };
}

/** The HTTP layer's view of the cluster: membership from the node, peers from the run layer. */
export function clusterView({ node, runs }: JoinedCluster): ClusterView {
  return {
    nodeId: node.nodeId,
    status: () => node.status(),
    health: () => node.health(),
    peers: () => runs.peers(),
  };
}
