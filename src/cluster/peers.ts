/**
 * The other nodes that are up, read from the membership records every node keeps (the hash
 * `<p>:cluster:nodes`: nodeId → JSON with the `url` it advertises, and `<p>:cluster:node:<id>:alive`
 * while it lives), for answers that fan out to every node (the cluster-wide metric query).
 */
import { clusterKey, deadline, type RedisClient, unavailable } from "./_redis.ts";

/** A node that is up and where it is reached. */
export interface Peer {
  nodeId: string;
  url: string;
}

/** Lists nodes whose alive key is present and that advertise a URL. */
export async function listPeers(client: RedisClient, prefix = "kiln"): Promise<Peer[]> {
  try {
    const records = await deadline(client.hGetAll(clusterKey(prefix, "nodes")));
    const nodes = Object.entries(records).flatMap(([nodeId, raw]) => {
      try {
        const url = (JSON.parse(raw) as { url?: unknown }).url;
        return typeof url === "string" && /^https?:\/\//.test(url) ? [{ nodeId, url }] : [];
      } catch {
        return [];
      }
    });
    const alive = await deadline(Promise.all(
      nodes.map((n) => client.exists(clusterKey(prefix, "node", n.nodeId, "alive"))),
    ));
    return nodes.filter((_, i) => alive[i] === 1);
  } catch (err) {
    throw unavailable(err);
  }
}
