/** Cluster mode: many Kiln nodes sharing apps, definitions and their changes through Redis. */
export { ClusterNode } from "./cluster_node.ts";
