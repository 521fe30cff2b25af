import type { ClusterView } from "./types.ts";

/** `GET /healthz`: ok, or in cluster mode 503 while the node cannot serve (a load balancer drains it). */
export async function health(
  cluster: ClusterView | undefined,
  version: string,
): Promise<{ status: 200 | 503; body: Record<string, unknown> }> {
  const state = cluster ? await cluster.health() : { ok: true as const };
  if (!state.ok) return { status: 503, body: { status: "unavailable", reason: state.reason } };
  return { status: 200, body: { status: "ok", version } };
}
