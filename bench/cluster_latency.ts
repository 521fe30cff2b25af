/**
 * Write → served on another node: PUTs one file through node i (round-robin), then polls
 * `GET /v1/apps/{app}` on node i+1 until it names the new revision. Prints p50/p90/p99.
 *
 *   deno run -A bench/cluster_latency.ts [writes] [app] http://node1 http://node2 ...
 * (admin token from KILN_ADMIN_TOKEN; the app must have `code/h.ts`). See bench/cluster.sh.
 */
const [count = "50", appId = "shop", ...nodes] = Deno.args;
const headers = {
  authorization: `Bearer ${Deno.env.get("KILN_ADMIN_TOKEN") ?? ""}`,
  "content-type": "application/json",
};
const revisionOn = async (node: string) =>
  (await (await fetch(`${node}/v1/apps/${appId}`, { headers })).json()).revision as string;

const took: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const writer = nodes[i % nodes.length], reader = nodes[(i + 1) % nodes.length];
  const res = await fetch(`${writer}/v1/apps/${appId}/definitions/file`, {
    method: "PUT",
    headers,
    body: JSON.stringify({
      path: "code/h.ts",
      content: `export function hello() { return { v: ${1000 + i} }; }\n`,
      expectedBaseRevision: await revisionOn(writer),
      commitMessage: `bench ${i}`,
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`write ${i}: ${res.status} ${JSON.stringify(body)}`);
  const since = performance.now();
  while ((await revisionOn(reader)) !== body.resultingRevision) {
    await new Promise((r) => setTimeout(r, 2));
  }
  took.push(performance.now() - since);
}
took.sort((a, b) => a - b);
const at = (q: number) => took[Math.min(took.length - 1, Math.floor(q * took.length))].toFixed(0);
console.log(`n=${took.length} p50=${at(0.5)} ms p90=${at(0.9)} ms p99=${at(0.99)} ms`);
