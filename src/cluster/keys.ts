/**
 * Every cluster key lives under `<prefix>:cluster:`. One app's keys share the hash tag
 * `{app:<appId>}`, so a Redis Cluster would keep them in one slot (see docs/cluster.md).
 */
export function clusterKeys(prefix: string) {
  const base = `${prefix}:cluster`;
  return {
    /** The change feed: one stream every node reads whole. */
    events: `${base}:events`,
    /** nodeId → the node's JSON entry. */
    nodes: `${base}:nodes`,
    /** Present while the node heartbeats (PX TTL). */
    alive: (nodeId: string) => `${base}:node:${nodeId}:alive`,
    /** The app's branch head (an oid): the source of truth for its definitions. */
    head: (appId: string) => `${base}:{app:${appId}}:head`,
    /** oid → the loose object bytes (zlib-deflated `<type> <size>\0<content>`). */
    objects: (appId: string) => `${base}:{app:${appId}}:objects`,
  };
}

export type ClusterKeys = ReturnType<typeof clusterKeys>;
