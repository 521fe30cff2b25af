/**
 * `core.state.getRuntimeValue` through `/mcp` over loopback on one connection (target:
 * p50 ≤ 1 ms and ≥ 3,000 calls/s). Three callers: a sandbox's raw stateless JSON-RPC POST, the
 * v1 SDK client in a 2025-11-25 session, and the v2 SDK client on 2026-07-28.
 *
 * `deno task bench` runs the Deno.bench cases; `deno run -A bench/mcp_bench.ts [calls]` prints
 * p50, p99 and calls/s for each caller.
 */
import { ADMIN_TOKEN } from "../tests/_support/kiln.ts";
import { startMcpKiln } from "../tests/_support/mcp.ts";
import { connectV1, connectV2 } from "../tests/_support/mcp_clients.ts";

const k = await startMcpKiln();
await fetch(`${k.url}/v1/apps`, {
  method: "POST",
  headers: { "Content-Type": "application/json", "Authorization": `Bearer ${ADMIN_TOKEN}` },
  body: JSON.stringify({
    files: { "app_definition.yaml": "appId: bench\ndisplayName: Bench\nversion: 1.0.0\n" },
  }),
}).then((r) => r.body?.cancel());
await k.kiln.state.runtime.setRuntimeValue("bench", "hot", { user: "ada", cart: [1, 2, 3] });
const url = new URL(`${k.mcpUrl}?app=bench`);
const args = { key: "hot" };

let id = 0;
const rawHeaders = {
  "Content-Type": "application/json",
  "Accept": "application/json, text/event-stream",
  "Authorization": `Bearer ${ADMIN_TOKEN}`,
  "Mcp-Protocol-Version": "2025-11-25",
};
async function rawCall(): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: rawHeaders,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: ++id,
      method: "tools/call",
      params: { name: "core.state.getRuntimeValue", arguments: args },
    }),
  });
  const body = await res.json();
  if (!body.result?.structuredContent?.found) throw new Error(JSON.stringify(body));
}
const v1 = await connectV1(url);
const v2 = await connectV2(url);
const callers: Record<string, () => Promise<unknown>> = {
  "raw stateless POST (sandbox path)": rawCall,
  "v1 SDK client, 2025-11-25 session": () =>
    v1.client.callTool({ name: "core.state.getRuntimeValue", arguments: args }),
  "v2 SDK client, 2026-07-28": () =>
    v2.client.callTool({ name: "core.state.getRuntimeValue", arguments: args }),
};

async function close(): Promise<void> {
  await v1.client.close();
  await v2.client.close();
  await k.close();
}

if (import.meta.main) {
  const calls = Number(Deno.args[0] ?? 5000);
  for (const [name, call] of Object.entries(callers)) {
    for (let i = 0; i < 2000; i++) await call();
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * calls))];
    console.log(
      `${name}: p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms, ` +
        `${Math.round(calls / seconds)} calls/s (${calls} calls, one connection)`,
    );
  }
  await close();
} else {
  for (const [name, call] of Object.entries(callers)) {
    Deno.bench(`getRuntimeValue via /mcp: ${name}`, { group: "mcp" }, async () => {
      await call();
    });
  }
  globalThis.addEventListener("unload", () => {
    close().catch(() => {});
  });
}
