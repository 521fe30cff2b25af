/**
 * Cluster mode: many Kiln nodes on one Redis sharing apps, definitions and their changes, with
 * run leases, the run sweeper and shared events.
 */
export { ClusterNode } from "./cluster_node.ts";
export { type ClusterRuns, openClusterRuns } from "./cluster_runs.ts";
