/** Cluster mode: many Kiln nodes on one Redis (run leases, the run sweeper, shared events). */
export { type ClusterRuns, openClusterRuns } from "./cluster_runs.ts";
