/** The serve benchmark's results: one summary object, printed as a table or as JSON. */
import type { WrkResult } from "./wrk.ts";
import type { RoundsSummary } from "./rounds.ts";

export interface Row extends WrkResult {
  name: string;
  connections: number;
  vsBare?: number;
  vsWorkerd?: number;
  /** CPU of Kiln and its child processes (all threads) per request served, in µs. */
  cpuUsPerRequest?: number;
  /** CPU of Kiln's main thread alone per request served, in µs. */
  mainUsPerRequest?: number;
  /**
   * CPU of Kiln's threads besides the main one per request served, in µs: the wasm tier's QuickJS
   * workers, esbuild's and jco's, and V8's and Deno's own helpers.
   */
  workersUsPerRequest?: number;
}

export interface Summary {
  loadStart: string;
  loadEnd?: string;
  wrk: string;
  servers: Row[];
  startup?: { medianMs: number; runsMs: number[]; cpuMedianMs: number; load: string };
  memory?: {
    /** Summed VmRSS of Kiln and its children (MB); `…PssMb` the same summed as PSS. */
    idleMb: number;
    idlePssMb: number;
    afterFirstRequestMb: number;
    afterFirstRequestPssMb: number;
    perAppMb: number;
    perAppPssMb: number;
    /** The machine's `MemAvailable` drop per app: noisy where other work runs. */
    perAppAvailableMb: number;
    apps: number;
    processes: number;
  };
  firstRequest?: { medianMs: number; runsMs: number[]; registerMedianMs: number };
  jit?: { task: string; p50CodeMs: number; p50LlmMs: number; speedup: number }[];
  mcp?: WrkResult & { client: string; cpuUsPerCall: number };
  rounds?: RoundsSummary;
  notes: string[];
}

/** Fills in the ratios against bare Deno and workerd measured in the same run. */
export function addRatios(s: Summary): void {
  const bare = s.servers.find((r) => r.name.startsWith("bare"));
  const workerd = s.servers.find((r) => r.name.startsWith("workerd"));
  for (const r of s.servers) {
    if (bare) r.vsBare = r.rps / bare.rps;
    if (workerd) r.vsWorkerd = r.rps / workerd.rps;
  }
}

export function printSummary(s: Summary): void {
  const f = (n: number | undefined, d = 2) =>
    n === undefined || Number.isNaN(n) ? "-" : n.toFixed(d);
  console.log(`${s.wrk}; load average at start ${s.loadStart}, at end ${s.loadEnd}`);
  if (s.servers.length) {
    console.log(
      "server                      conns     req/s   p50 ms   p99 ms  vs bare  vs workerd  CPU µs/req  main µs/req  others µs/req",
    );
    for (const r of s.servers) {
      console.log(
        `${r.name.padEnd(26)} ${String(r.connections).padStart(6)} ${
          r.rps.toFixed(0).padStart(9)
        } ${f(r.p50).padStart(8)} ${f(r.p99).padStart(8)} ${f(r.vsBare, 3).padStart(8)} ${
          f(r.vsWorkerd, 3).padStart(11)
        } ${f(r.cpuUsPerRequest, 0).padStart(11)} ${f(r.mainUsPerRequest, 0).padStart(12)} ${
          f(r.workersUsPerRequest, 0).padStart(15)
        }`,
      );
    }
  }
  if (s.startup) {
    console.log(
      `kiln serve → /healthz 200: median ${f(s.startup.medianMs, 0)} ms (${
        s.startup.runsMs.join(", ")
      }); Kiln's CPU by then: median ${f(s.startup.cpuMedianMs, 0)} ms; load ${s.startup.load}`,
    );
  }
  if (s.memory) {
    const m = s.memory;
    console.log(
      `memory (Kiln + children, VmRSS / PSS): idle ${f(m.idleMb, 0)} / ${f(m.idlePssMb, 0)} MB, ` +
        `after the first request ${f(m.afterFirstRequestMb, 0)} / ${
          f(m.afterFirstRequestPssMb, 0)
        } MB; per active app +${f(m.perAppMb, 1)} / +${f(m.perAppPssMb, 1)} MB, MemAvailable drop ${
          f(m.perAppAvailableMb, 1)
        } MB (${m.apps} apps; ${m.processes} processes at the end)`,
    );
  }
  if (s.firstRequest) {
    console.log(
      `first request to a never-seen app: median ${f(s.firstRequest.medianMs, 0)} ms (${
        s.firstRequest.runsMs.join(", ")
      }); ` +
        `registration median ${f(s.firstRequest.registerMedianMs, 0)} ms`,
    );
  }
  if (s.jit) {
    console.log("JIT task                 p50 code ms  p50 LLM ms   speed-up");
    for (const r of s.jit) {
      console.log(
        `${r.task.padEnd(24)} ${f(r.p50CodeMs, 3).padStart(11)} ${f(r.p50LlmMs, 0).padStart(11)} ${
          (r.speedup.toFixed(0) + "×").padStart(10)
        }`,
      );
    }
  }
  if (s.mcp) {
    console.log(
      `/mcp tools/call: ${f(s.mcp.rps, 0)} calls/s, p50 ${f(s.mcp.p50)} ms, p99 ${
        f(s.mcp.p99)
      } ms, CPU ${f(s.mcp.cpuUsPerCall, 0)} µs/call (${s.mcp.client})`,
    );
  }
  for (const n of s.notes) console.log(`note: ${n}`);
}
