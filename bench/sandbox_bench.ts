/**
 * Targets, side by side in one run (`deno task bench`):
 * - HTTP: a trivial component over loopback on the isolate tier vs a bare `Deno.serve` handler
 *   calling the same function in-process (≥ 40 % of its throughput, p50 overhead ≤ 0.5 ms);
 * - isolate cold start for a never-seen component (≤ 20 ms p50): new code on a warm app host,
 *   and, for reference, a never-seen app (a new host process);
 * - wasm tier trivial call, each in a fresh QuickJS context (≤ 1 ms p50);
 * - memory per warm isolate (≤ 10 MB): printed before the benches, from the host's RSS.
 */
import { silentLogger } from "../src/core/mod.ts";
import { createKiln } from "../src/kiln.ts";
import { executeRequest, guestCode, RecordingHost } from "../src/sandbox/tier_common_case.ts";
import { DEFAULT_LIMITS, IsolateTier, WasmTier } from "../src/sandbox/mod.ts";
import { minimalApp } from "../tests/_support/kiln.ts";

function trivial(requestData: { input?: unknown }) {
  return { ok: true, input: requestData.input ?? null };
}

// Bare Deno.serve calling the function in-process.
const bare = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  () => Response.json(trivial({})),
);
const bareUrl = `http://127.0.0.1:${bare.addr.port}/apps/bench/trivial`;

// Kiln serving the same function as an isolate-tier component.
const dataDir = await Deno.makeTempDir({ prefix: "kiln-bench-sandbox-" });
const kiln = await createKiln({ dataDir, logger: silentLogger, watch: false });
await kiln.registry.registerApplication({
  files: minimalApp("bench", {
    "component_registry.yaml": `components:
  - componentId: trivial
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/trivial.ts, function: trivial, language: typescript }
    routeMatcher: { pathPattern: /trivial, methods: [GET] }
`,
    "code/trivial.ts": `export ${trivial.toString()}\n`,
  }),
});
const served = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, kiln.handler);
const kilnUrl = `http://127.0.0.1:${served.addr.port}/apps/bench/trivial`;
for (const url of [bareUrl, kilnUrl]) {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"ok":true')) throw new Error(`${url}: ${body}`);
}

Deno.bench(
  "trivial GET, bare Deno.serve in-process",
  { group: "http", baseline: true },
  async () => {
    await (await fetch(bareUrl)).arrayBuffer();
  },
);
Deno.bench("trivial GET, Kiln isolate tier", { group: "http" }, async () => {
  await (await fetch(kilnUrl)).arrayBuffer();
});

// Tiers directly, without HTTP or esbuild.
const isolate = new IsolateTier({ logger: silentLogger, queueTimeoutMs: 30_000 });
const wasm = new WasmTier({ logger: silentLogger, queueTimeoutMs: 30_000 });
const limits = { ...DEFAULT_LIMITS, memoryMb: 64 };
const job = (app: string, body: string, format: "esm" | "iife") => ({
  request: executeRequest(app),
  code: guestCode(body, format),
  limits,
  host: new RecordingHost(),
});
await isolate.execute(job("cold", "return 0;", "esm"));
await wasm.execute(job("w", "return 0;", "iife"));
let seq = 0;

Deno.bench("isolate: never-seen component on a warm app host", { group: "cold" }, async () => {
  await isolate.execute(job("cold", `return ${++seq};`, "esm"));
});
Deno.bench("isolate: never-seen app (new host process)", { group: "cold", n: 20 }, async () => {
  await isolate.execute(job(`app${++seq}`, "return 1;", "esm"));
});
Deno.bench("isolate: warm trivial call", { group: "tier", baseline: true }, async () => {
  await isolate.execute(job("cold", "return 0;", "esm"));
});
Deno.bench("wasm: trivial call in a fresh QuickJS context", { group: "tier" }, async () => {
  await wasm.execute(job("w", "return 0;", "iife"));
});

await printMemoryPerIsolate();
if (Deno.args.includes("report")) await report();

/**
 * `deno run -A bench/sandbox_bench.ts report`: the p50 figures the targets name, and throughput
 * with 16 concurrent keep-alive clients for 3 s each, bare vs Kiln.
 */
async function report(): Promise<void> {
  const p50 = async (fn: () => Promise<unknown>, n = 3000) => {
    for (let i = 0; i < 300; i++) await fn();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await fn();
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[n >> 1];
  };
  const throughput = async (url: string) => {
    const until = performance.now() + 3_000;
    let done = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await (await fetch(url)).arrayBuffer();
        done++;
      }
    }));
    return done / 3;
  };
  const get = (url: string) => async () => await (await fetch(url)).arrayBuffer();
  const bareP50 = await p50(get(bareUrl));
  const kilnP50 = await p50(get(kilnUrl));
  const bareRps = await throughput(bareUrl);
  const kilnRps = await throughput(kilnUrl);
  const coldP50 = await p50(() => isolate.execute(job("cold", `return ${++seq};`, "esm")), 500);
  const wasmP50 = await p50(() => wasm.execute(job("w", "return 0;", "iife")), 2000);
  const f = (ms: number) => `${ms.toFixed(3)} ms`;
  console.log(
    `HTTP p50: bare ${f(bareP50)}, Kiln isolate ${f(kilnP50)} -> overhead ${f(kilnP50 - bareP50)}`,
  );
  console.log(
    `HTTP throughput (16 clients): bare ${bareRps.toFixed(0)}/s, Kiln isolate ${
      kilnRps.toFixed(0)
    }/s -> ${(100 * kilnRps / bareRps).toFixed(1)} %`,
  );
  console.log(
    `isolate never-seen component p50 ${f(coldP50)}; wasm fresh-context p50 ${f(wasmP50)}`,
  );
  await Promise.all([
    isolate.close(),
    wasm.close(),
    kiln.close(),
    bare.shutdown(),
    served.shutdown(),
  ]);
}

/** RSS of one app's host with 1 and with 8 warm workers; the difference per worker. */
async function printMemoryPerIsolate(): Promise<void> {
  const tier = new IsolateTier({ logger: silentLogger, workersPerApp: 8 });
  const hold = `await new Promise((r) => setTimeout(r, 300)); return 1;`;
  await tier.execute(job("mem", "return 0;", "esm"));
  await new Promise((r) => setTimeout(r, 300));
  const pid = tier.hostPids()["mem@64mb"];
  const one = await rssMb(pid);
  await Promise.all(Array.from({ length: 8 }, () => tier.execute(job("mem", hold, "esm"))));
  await new Promise((r) => setTimeout(r, 300));
  const eight = await rssMb(pid);
  console.log(
    `memory per warm isolate: host RSS ${one.toFixed(1)} MB with 1 worker, ` +
      `${eight.toFixed(1)} MB with 8 -> ${((eight - one) / 7).toFixed(1)} MB per extra worker`,
  );
  await tier.close();
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}
