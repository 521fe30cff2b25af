/**
 * The serving path side by side, in one run (`deno task bench:serve`). Throughput is measured by
 * `wrk` (a native load generator: a client in the same runtime would cap the server it measures);
 * every server answers the same POST of a small JSON body with the same word count:
 *
 * - `bare`: `Deno.serve` in its own process (the limit);
 * - `workerd`: the same function as a workerd module worker (pinned npm release, fetched once);
 * - `floor`: the isolate tier's shape as Kiln dispatches it and nothing else (`_serve/floor.ts`):
 *   `Deno.serve`, a permissionless child process over Node's IPC channel, four workers there;
 * - `isolate`, `wasm`, `container`: `kiln serve` in its own process, the function as a component
 *   on each tier (container: a warm pool of two `kiln/deno-runner` containers; skipped without
 *   Docker or the image).
 *
 * and, for Kiln: `startup` (spawn → first 200 from `/healthz`, median of 5, with the CPU Kiln
 * used by then: a figure the machine's load moves less), `memory` (Kiln and its child processes
 * idle, after the first request, and per extra active app over 10 apps: summed VmRSS, summed PSS
 * and the drop in `MemAvailable`), `first` (first request to a just-registered app, median over
 * the same apps, 5 without `memory`), `jit` (`bench/jit_bench.ts`:
 * served p50 against the recorded LLM's) and `mcp` (`tools/call` calls/s over one connection).
 *
 *   deno task bench:serve [--only isolate,workerd] [--duration 8] [--connections 32] [--json]
 *                         [--jit-stream 2000] [--log-level error]
 *                         [--cpu-prof DIR] [--perf DIR] [--rounds N]
 *
 * `--rounds N` (N > 1) measures bare, workerd, floor and Kiln's isolate and wasm tiers in N paired rounds
 * instead of once each: all stay up, each round loads each for `--duration` seconds in a rotating
 * order, and the ratios are taken per round (`_serve/rounds.ts`). The other sections run as usual.
 *
 * Before each Kiln load the benchmark waits (≤ 60 s) until Kiln's process tree is quiet: after
 * the first bundle V8 optimises esbuild's wasm on background threads for several seconds, which
 * is start-up cost, not serving cost. Each Kiln row also gives the CPU (all threads of Kiln and
 * its children) per request served, that of Kiln's main thread alone and that of its other threads
 * (the wasm tier's QuickJS workers, esbuild's and jco's, V8's and Deno's helpers).
 *
 * `--cpu-prof DIR` runs Kiln and its isolate hosts under V8's profiler (summarise with
 * `bench/_serve/profile_summary.ts DIR`); `--perf DIR` records `perf` on Kiln's process tree during
 * each measured Kiln load. Needs `wrk` on the PATH. CI does not run it.
 */
import { parseArgs } from "node:util";
import {
  BARE_SOURCE,
  BODY,
  check,
  CONTAINER_POOL_SIZE,
  wordsApp,
  WORKERD_SOURCE,
} from "./_serve/apps.ts";
import { startFloor } from "./_serve/floor.ts";
import { dockerReady, perfDuring, register, startKiln } from "./_serve/kiln.ts";
import type { LoadWindow } from "./_serve/profile_summary.ts";
import { jitLatency, mcpCalls } from "./_serve/probes.ts";
import {
  cpuS,
  loadavg,
  median,
  memAvailableMb,
  monotonicUs,
  type Server,
  spawnServer,
  threadCpuS,
  treeCpuS,
  treeRssMb,
  waitQuiet,
} from "./_serve/procs.ts";
import { addRatios, printSummary, type Summary } from "./_serve/report.ts";
import { pairedRounds, printRounds, type RoundTarget } from "./_serve/rounds.ts";
import { startWorkerd, WORKERD_VERSION, workerdBinary } from "./_serve/workerd.ts";
import { wrk } from "./_serve/wrk.ts";

const SECTIONS = [
  "bare",
  "workerd",
  "floor",
  "isolate",
  "wasm",
  "container",
  "startup",
  "memory",
  "first",
  "jit",
  "mcp",
] as const;
type Section = typeof SECTIONS[number];

const args = parseArgs({
  args: import.meta.main ? Deno.args : [],
  options: {
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "32" },
    only: { type: "string" },
    json: { type: "boolean", default: false },
    "jit-stream": { type: "string", default: "2000" },
    "log-level": { type: "string", default: "error" },
    "cpu-prof": { type: "string" },
    perf: { type: "string" },
    rounds: { type: "string", default: "1" },
  },
});
const DURATION = Number(args.values.duration);
const CONNECTIONS = Number(args.values.connections);
/** Above 1, bare, workerd, floor, isolate and wasm are measured in paired rounds (`_serve/rounds.ts`). */
const ROUNDS = Number(args.values.rounds);
/** The servers the paired rounds load, warmed and kept up until then. */
const roundTargets: RoundTarget[] = [];
const only = args.values.only?.split(",").map((s) => s.trim()).filter(Boolean);
for (const s of only ?? []) {
  if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section "${s}"`);
}
const want = (s: Section) => !only || only.includes(s);
const log = (line: string) => console.error(line);

/** When each measured load ran, for cutting it out of CPU profiles (`--cpu-prof`). */
const windows: LoadWindow[] = [];

const summary: Summary = {
  loadStart: loadavg(),
  wrk: `wrk -t1 -c${CONNECTIONS} -d${DURATION}s, POST ${BODY.length} bytes`,
  servers: [],
  notes: [],
};

/** Checks the answer and warms up for a short while; for Kiln, waits until it is quiet. */
async function warm(name: string, url: string, connections: number, quietPid?: number) {
  await check(url);
  await wrk(url, { body: BODY, connections, durationS: Math.min(2, DURATION) });
  // wrk's end drops the requests in flight; Kiln ends those executions' workers (an aborted run
  // leaves none behind to reuse). Refill them at full concurrency before measuring, then let the
  // compiles that starts (and esbuild's, after the first bundle) finish.
  await Promise.all(Array.from({ length: connections }, () => check(url)));
  if (quietPid !== undefined) {
    const waited = await waitQuiet(quietPid);
    if (waited > 2) log(`  ${name}: waited ${waited} s for Kiln's background work to settle`);
  }
}

/** Measures one server now, or with `--rounds`, warms it for the paired rounds. */
async function load(
  name: string,
  url: string,
  connections = CONNECTIONS,
  during?: () => Promise<() => Promise<void>>,
  quietPid?: number,
) {
  await warm(name, url, connections, quietPid);
  if (ROUNDS > 1 && !name.includes("container")) {
    roundTargets.push({ name, url, connections, kilnPid: quietPid });
    return;
  }
  const stop = await during?.();
  const startUs = monotonicUs();
  const cpuBefore = quietPid === undefined ? 0 : treeCpuS(quietPid);
  const mainBefore = quietPid === undefined ? 0 : threadCpuS(quietPid);
  // Kiln's process CPU (`stat`, which keeps the time of threads that ended during the load) less
  // its main thread's: summing the live worker threads would lose one that retired mid-load.
  const othersBefore = quietPid === undefined ? 0 : cpuS(quietPid) - mainBefore;
  const r = await wrk(url, { body: BODY, connections, durationS: DURATION });
  const perRequest = (s: number) => Math.round(s * 1e6 / Math.max(1, r.requests));
  const cpuUsPerRequest = quietPid === undefined
    ? undefined
    : perRequest(treeCpuS(quietPid) - cpuBefore);
  const mainUsPerRequest = quietPid === undefined
    ? undefined
    : perRequest(threadCpuS(quietPid) - mainBefore);
  const workersUsPerRequest = quietPid === undefined
    ? undefined
    : perRequest(Math.max(0, cpuS(quietPid) - threadCpuS(quietPid) - othersBefore));
  const endUs = monotonicUs();
  await stop?.();
  summary.servers.push({
    name,
    connections,
    ...r,
    ...(cpuUsPerRequest ? { cpuUsPerRequest } : {}),
    ...(mainUsPerRequest ? { mainUsPerRequest } : {}),
    ...(workersUsPerRequest ? { workersUsPerRequest } : {}),
  });
  windows.push({ name, startUs, endUs, requests: r.requests });
  log(`  ${name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
}

async function startup(): Promise<void> {
  const runsMs: number[] = [];
  const cpuMs: number[] = [];
  const load = loadavg();
  for (let i = 0; i < 5; i++) {
    const kiln = await startKiln({ logLevel: args.values["log-level"] });
    runsMs.push(kiln.readyMs);
    cpuMs.push(kiln.readyCpuMs);
    await kiln.stop();
  }
  summary.startup = {
    medianMs: median(runsMs),
    runsMs: runsMs.map((n) => Math.round(n)),
    cpuMedianMs: median(cpuMs),
    load: `${load} → ${loadavg()}`,
  };
  log(
    `  startup: median ${summary.startup.medianMs.toFixed(0)} ms (${
      summary.startup.runsMs.join(", ")
    }), CPU ${summary.startup.cpuMedianMs.toFixed(0)} ms`,
  );
}

async function kilnSections(containerSkip: string | null): Promise<void> {
  const tiers = (["isolate", "wasm", "container"] as const).filter((t) =>
    want(t) && (t !== "container" || !containerSkip)
  );
  const kiln = await startKiln({
    cpuProfDir: args.values["cpu-prof"],
    perfMap: !!args.values.perf,
    logLevel: args.values["log-level"],
  });
  try {
    // Settled idle memory: nothing but the health check has been served.
    await new Promise((r) => setTimeout(r, 1000));
    const idle = treeRssMb(kiln.pid);
    await register(kiln, wordsApp("bench", tiers.length ? [...tiers] : ["isolate"]));
    await check(`${kiln.url}/apps/bench/words-${tiers[0] ?? "isolate"}`);
    await new Promise((r) => setTimeout(r, 500));
    const afterFirst = treeRssMb(kiln.pid);

    if (want("memory") || want("first")) {
      // Never-seen apps: registered, then their first request timed; memory is compared before
      // the first of them and after the last.
      const runsMs: number[] = [];
      const registerMs: number[] = [];
      const n = want("memory") ? 10 : 5;
      const availableBefore = memAvailableMb();
      for (let i = 1; i <= n; i++) {
        const t0 = performance.now();
        await register(kiln, wordsApp(`extra${i}`, ["isolate"]));
        const t1 = performance.now();
        await check(`${kiln.url}/apps/extra${i}/words-isolate`);
        registerMs.push(t1 - t0);
        runsMs.push(performance.now() - t1);
      }
      if (want("memory")) {
        await new Promise((r) => setTimeout(r, 1000));
        const after = treeRssMb(kiln.pid);
        summary.memory = {
          idleMb: idle.total,
          idlePssMb: idle.pss,
          afterFirstRequestMb: afterFirst.total,
          afterFirstRequestPssMb: afterFirst.pss,
          perAppMb: (after.total - afterFirst.total) / n,
          perAppPssMb: (after.pss - afterFirst.pss) / n,
          perAppAvailableMb: (availableBefore - memAvailableMb()) / n,
          apps: n,
          processes: after.processes,
        };
        const m = summary.memory;
        log(
          `  memory: idle ${m.idleMb.toFixed(0)} MB (PSS ${m.idlePssMb.toFixed(0)}), after first ` +
            `request ${m.afterFirstRequestMb.toFixed(0)} MB (PSS ${
              m.afterFirstRequestPssMb.toFixed(0)
            }), per app +${m.perAppMb.toFixed(1)} MB VmRSS, +${m.perAppPssMb.toFixed(1)} MB PSS, ` +
            `MemAvailable drop ${m.perAppAvailableMb.toFixed(1)} MB`,
        );
      }
      if (want("first")) {
        summary.firstRequest = {
          medianMs: median(runsMs),
          runsMs: runsMs.map((n) => Math.round(n)),
          registerMedianMs: median(registerMs),
        };
        log(
          `  first request: median ${summary.firstRequest.medianMs.toFixed(0)} ms (${
            summary.firstRequest.runsMs.join(", ")
          })`,
        );
      }
    }

    for (const tier of tiers) {
      const connections = tier === "container"
        ? Math.min(CONNECTIONS, CONTAINER_POOL_SIZE)
        : CONNECTIONS;
      await load(
        `kiln ${tier}`,
        `${kiln.url}/apps/bench/words-${tier}`,
        connections,
        perfDuring(args.values.perf, kiln, tier),
        kiln.pid,
      );
    }

    if (roundTargets.length) await rounds();

    if (want("mcp")) {
      const { startUs, endUs, ...r } = await mcpCalls(kiln, DURATION);
      summary.mcp = r;
      windows.push({ name: "kiln mcp", startUs, endUs, requests: r.requests });
      log(
        `  mcp: ${r.rps.toFixed(0)} calls/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
          `CPU ${r.cpuUsPerCall} µs/call`,
      );
    }
  } finally {
    await kiln.stop();
  }
}

/** The paired rounds over every warmed throughput server. */
async function rounds(): Promise<void> {
  const load = loadavg();
  const startUs = monotonicUs();
  const rows = await pairedRounds(roundTargets, ROUNDS, DURATION, log);
  windows.push({
    name: "rounds",
    startUs,
    endUs: monotonicUs(),
    requests: rows.reduce((n, r) => n + r.rps.reduce((a, b) => a + b, 0) * DURATION, 0),
  });
  summary.rounds = { rounds: ROUNDS, seconds: DURATION, load: `${load} → ${loadavg()}`, rows };
}

async function main(): Promise<void> {
  log(`load average ${summary.loadStart}`);
  const servers: Server[] = [];
  try {
    if (want("bare")) {
      const file = await Deno.makeTempFile({ suffix: ".ts" });
      await Deno.writeTextFile(file, BARE_SOURCE);
      const bare = await spawnServer({ cmd: Deno.execPath(), args: ["run", "--allow-net", file] });
      servers.push(bare);
      await load("bare Deno.serve", `${bare.url}/`);
      // With rounds it serves until they are done (the `finally` below stops it).
      if (ROUNDS <= 1) await bare.stop();
      await Deno.remove(file);
    }
    if (want("workerd")) {
      const bin = await workerdBinary();
      if ("skip" in bin) summary.notes.push(`workerd skipped: ${bin.skip}`);
      else {
        const w = await startWorkerd(bin.path, WORKERD_SOURCE);
        servers.push(w);
        await load(`workerd ${WORKERD_VERSION}`, `${w.url}/`);
        if (ROUNDS <= 1) await w.stop();
      }
    }
    if (want("floor")) {
      const floor = await startFloor();
      servers.push(floor);
      // Its CPU per request counts the host process too (`kilnPid` only names whose tree).
      await load("floor (isolate design)", `${floor.url}/`, CONNECTIONS, undefined, floor.pid);
      if (ROUNDS <= 1) await floor.stop();
    }
    if (want("startup")) await startup();
    const containerSkip = want("container") ? await dockerReady() : null;
    if (containerSkip) summary.notes.push(`container skipped: ${containerSkip}`);
    if (
      ["isolate", "wasm", "container", "memory", "first", "mcp"].some((s) => want(s as Section))
    ) {
      await kilnSections(containerSkip);
    }
    if (roundTargets.length && !summary.rounds) await rounds();
    if (want("jit")) {
      summary.jit = await jitLatency(args.values["jit-stream"]!);
      log(`  jit: min speed-up ${Math.min(...summary.jit.map((r) => r.speedup)).toFixed(0)}×`);
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
  }
  summary.loadEnd = loadavg();
  if (args.values["cpu-prof"]) {
    await Deno.writeTextFile(
      `${args.values["cpu-prof"]}/windows.json`,
      JSON.stringify(windows, null, 2),
    );
  }
  addRatios(summary);
  if (args.values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    printSummary(summary);
    if (summary.rounds) printRounds(summary.rounds);
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0); // the signal listeners that stop servers on an interrupt would keep it alive
}
