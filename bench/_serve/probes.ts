/** Kiln probes beyond throughput: `/mcp` calls over one connection, and JIT-served latency. */
import { post } from "./apps.ts";
import { ADMIN_TOKEN, type KilnServer } from "./kiln.ts";
import type { Summary } from "./report.ts";
import { monotonicUs, treeCpuS, waitQuiet } from "./procs.ts";
import { wrk, type WrkResult } from "./wrk.ts";

/** `tools/call core.state.getRuntimeValue` back to back on one keep-alive connection (wrk -c1). */
export async function mcpCalls(
  kiln: KilnServer,
  durationS: number,
): Promise<WrkResult & { client: string; cpuUsPerCall: number; startUs: number; endUs: number }> {
  const put = await kiln.admin("/v1/apps/bench/runtime/hot", {
    method: "PUT",
    body: JSON.stringify({ value: { user: "ada", cart: [1, 2, 3] } }),
  });
  if (put.status !== 200) throw new Error(`setRuntimeValue: ${put.status} ${await put.text()}`);
  const url = `${kiln.url}/mcp?app=bench`;
  const headers = {
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${ADMIN_TOKEN}`,
    "mcp-protocol-version": "2025-11-25",
  };
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "core.state.getRuntimeValue", arguments: { key: "hot" } },
  });
  const res = await post(url, body, headers);
  const answer = await res.json();
  if (!answer.result?.structuredContent?.found) throw new Error(`/mcp: ${JSON.stringify(answer)}`);
  await wrk(url, { body, headers, connections: 1, durationS: Math.min(2, durationS) });
  // The bench app's bundle was just built: esbuild's wasm is still being optimised in the
  // background, which a load measured now would count (see `waitQuiet`).
  await waitQuiet(kiln.pid);
  const startUs = monotonicUs();
  const cpuBefore = treeCpuS(kiln.pid);
  const r = await wrk(url, { body, headers, connections: 1, durationS });
  const cpuUsPerCall = Math.round((treeCpuS(kiln.pid) - cpuBefore) * 1e6 / Math.max(1, r.requests));
  return {
    ...r,
    cpuUsPerCall,
    startUs,
    endUs: monotonicUs(),
    client:
      "wrk -t1 -c1: one keep-alive HTTP/1.1 connection, each stateless 2025-11-25 tools/call " +
      "sent when the previous answer arrived",
  };
}

/** `bench/jit_bench.ts` in its own process: served p50 against the recorded LLM's, per task. */
export async function jitLatency(stream: string): Promise<NonNullable<Summary["jit"]>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../jit_bench.ts", import.meta.url).pathname,
      stream,
      // bench:jit's own sample count: with fewer, the gate measures a noisy task's noise on too
      // few repeated inputs and keeps its calls on the LLM.
      "250",
      "--json",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("bench/jit_bench.ts failed");
  const rows: { task: string; p50Code: number; p50Llm: number }[] = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  return rows.map((r) => ({
    task: r.task,
    p50CodeMs: r.p50Code,
    p50LlmMs: r.p50Llm,
    speedup: r.p50Llm / r.p50Code,
  }));
}
