/**
 * A metric range query for the whole cluster: metrics stay on each node, so this node answers
 * its own part and asks every other node that is up (at the URL it advertises, with the
 * caller's own credentials, so each node authorizes the caller itself) for the same query.
 * Each series names its node; a node that does not answer within the deadline is listed as not
 * ok, and the rest still answer.
 */
import type { MetricQueryResult } from "../metrics/mod.ts";
import type { ClusterView } from "./types.ts";

/** How long one node may take to answer its part. */
const PEER_TIMEOUT_MS = 2_000;
/** Most bytes of one node's answer read. */
const MAX_PEER_BYTES = 8 * 1024 * 1024;

type Series = MetricQueryResult["series"][number] & { node?: string };

interface NodeAnswer {
  nodeId: string;
  ok: boolean;
  error?: string;
}

/** Merges this node's `local` answer with every peer's answer to the same request. */
export async function clusterQuery(
  cluster: ClusterView,
  local: MetricQueryResult,
  req: Request,
): Promise<MetricQueryResult & { series: Series[]; nodes: NodeAnswer[] }> {
  const url = new URL(req.url);
  url.searchParams.delete("scope");
  const headers = new Headers();
  for (const name of ["authorization", "cookie"]) {
    const value = req.headers.get(name);
    if (value) headers.set(name, value);
  }
  const series: Series[] = local.series.map((s) => ({ ...s, node: cluster.nodeId }));
  const nodes: NodeAnswer[] = [{ nodeId: cluster.nodeId, ok: true }];
  let peers: { nodeId: string; url: string }[];
  try {
    peers = (await cluster.peers()).filter((p) => p.nodeId !== cluster.nodeId);
  } catch (err) {
    return { ...local, series, nodes: [...nodes, { nodeId: "*", ok: false, error: String(err) }] };
  }
  const answers = await Promise.all(peers.map(async (peer) => {
    try {
      const target = new URL(`${url.pathname}${url.search}`, peer.url);
      const res = await fetch(target, { headers, signal: AbortSignal.timeout(PEER_TIMEOUT_MS) });
      const text = await res.text();
      if (text.length > MAX_PEER_BYTES) throw new Error("the answer is too large");
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      const part = JSON.parse(text) as MetricQueryResult;
      return { peer, part };
    } catch (err) {
      return { peer, error: err instanceof Error ? err.message : String(err) };
    }
  }));
  for (const a of answers) {
    if ("part" in a && a.part) {
      nodes.push({ nodeId: a.peer.nodeId, ok: true });
      for (const s of a.part.series) series.push({ ...s, node: a.peer.nodeId });
    } else {
      nodes.push({ nodeId: a.peer.nodeId, ok: false, error: a.error });
    }
  }
  return { name: local.name, kind: local.kind, series, nodes };
}
