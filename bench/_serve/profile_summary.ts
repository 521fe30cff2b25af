/**
 * Summarises V8 `.cpuprofile`s (from `deno run --cpu-prof`): self time by category, by file and
 * by function, and inclusive time by file (a sample counts once for every file on its stack).
 *
 *   deno run -A bench/_serve/profile_summary.ts DIR [--window NAME] [--top 20] [--json]
 *                                                   [--callers FUNCTION]
 *
 * DIR is what `deno task bench:serve --cpu-prof DIR` wrote: `kiln/` (Kiln's threads), `host/` (each
 * isolate host's main thread; its workers end with the process, unprofiled) and `windows.json` (when each measured load ran and
 * how many requests it served). With `--window NAME` (e.g. `kiln isolate`) only the samples taken
 * during that load count, and the report gives CPU µs per request.
 */
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
/** A measured load: µs on CLOCK_MONOTONIC (the profiles' clock), and the requests it served. */
export interface LoadWindow {
  name: string;
  startUs: number;
  endUs: number;
  requests: number;
}

/** Where a file's self time goes, first match wins. */
const CATEGORIES: [RegExp, string][] = [
  [/^\(garbage collector\)$/, "GC"],
  [/^\(program\)$/, "V8/Deno native (outside JS)"],
  [/^\(idle\)$/, "idle"],
  [/^ext:deno_http\//, "HTTP server (Deno.serve)"],
  [/^ext:deno_fetch\//, "Request/Response objects, bodies"],
  [/^ext:deno_web\/06_streams/, "web streams"],
  [/^ext:deno_web\//, "web APIs (encoding, events, timers)"],
  [/^ext:(deno_process|runtime\/40_process|deno_io)/, "child process pipes (hop)"],
  [/^ext:core\//, "Deno core (ops, promises)"],
  [/^ext:/, "other Deno runtime"],
  [/\/hono@[^/]+\//, "Hono (routing, middleware)"],
  [/\/zod@[^/]+\//, "zod (validation)"],
  [/\/@hono\/zod-openapi@/, "Hono (routing, middleware)"],
  [/node_modules\//, "other npm"],
  [/\/src\/core\/(log|_log|logger)/, "logging"],
  [/\/src\/metrics\//, "metrics"],
  [/\/src\/auth\//, "auth, execution tokens"],
  [/\/src\/http\//, "Kiln HTTP layer"],
  [/\/src\/router\//, "router (match, request data, response mapping)"],
  [/\/src\/registry\//, "registry"],
  [/\/src\/bundler\//, "code handler, bundler"],
  [
    /\/src\/sandbox\/isolate\/(_host_process|_line_reader|_protocol)/,
    "isolate framing (Kiln side)",
  ],
  [/\/src\/sandbox\//, "sandbox manager, tiers"],
  [/\/src\/mcp\//, "MCP"],
  [/\/src\/core\//, "Kiln core (errors, JSON, limits)"],
  [/\/src\//, "other Kiln"],
  [/^(blob|data):/, "isolate host program"],
  [/^$/, "V8 builtins / native"],
];

/**
 * Request stages: a sample's time goes to the nearest frame on its stack that belongs to one, so
 * an op or a builtin is charged to the Kiln code that called it (a pipe write to framing, a hash to
 * token minting). Order matters only within one frame.
 */
const STAGES: [RegExp, string][] = [
  [/\/src\/auth\//, "execution tokens (mint, verify, revoke)"],
  [/\/src\/metrics\//, "metrics"],
  [/\/src\/core\/(log|_log|logger)/, "logging"],
  [/\/src\/router\/request_data\.ts/, "request data"],
  [/\/src\/router\/response_mapping\.ts/, "response mapping"],
  [/\/src\/router\/execution_context\.ts/, "execution context (without the token)"],
  [/\/src\/router\/execution_host\.ts/, "execution host"],
  [/\/src\/router\/(_lookup|_route_auth)\.ts/, "route match, route auth"],
  [/\/src\/router\//, "router (the rest)"],
  [/\/src\/bundler\//, "code handler, bundle cache"],
  [/\/src\/sandbox\/isolate\/(_host_process|_line_reader)\.ts/, "framing, pipe I/O (Kiln side)"],
  [/\/src\/sandbox\/isolate\//, "isolate tier"],
  [/\/src\/sandbox\/wasm\//, "wasm tier (Kiln side)"],
  [/\/src\/sandbox\//, "sandbox manager, pools"],
  [/\/src\/mcp\//, "MCP endpoint, tool registry"],
  [/\/src\/state\//, "state"],
  [/\/src\/http\//, "Kiln HTTP app"],
  [/\/src\//, "other Kiln"],
  [/\/hono@|\/@hono\//, "Hono routing, middleware"],
  [/^ext:deno_http\//, "HTTP server (Deno.serve: parse, respond)"],
  [/^ext:deno_fetch\//, "Request/Response objects"],
  [/^(blob|data):/, "host/worker program"],
];

function stageOf(url: string): string | undefined {
  for (const [re, name] of STAGES) if (re.test(url)) return name;
  return undefined;
}

export function category(url: string, fn: string): string {
  // Pseudo-nodes like "(garbage collector)" have no URL; nor do V8 builtins.
  const key = url ? url : fn.startsWith("(") ? fn : "";
  for (const [re, name] of CATEGORIES) if (re.test(key)) return name;
  return "other";
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\/.*?\/(src|bench|isolates)\//, "$1/")
    .replace(/^file:\/\/.*node_modules\/\.deno\/([^/]+)\/node_modules\/[^/]+\//, "npm:$1/")
    .replace(/^(blob|data):.{0,40}.*$/, "$1:…");
}

export interface Summary {
  profiles: number;
  samples: number;
  /** Non-idle CPU time in ms. */
  cpuMs: number;
  wallMs: number;
  requests?: number;
  /** Time by request stage (nearest owning frame). */
  byStage: [string, number][];
  byCategory: [string, number][];
  byFile: [string, number][];
  inclusiveByFile: [string, number][];
  byFunction: [string, number][];
  /** With `callersOf`: the five frames above each sample of that function. */
  callers: [string, number][];
}

/** Aggregates profiles, counting only samples inside `window` (if given). */
export function summarise(
  profiles: CpuProfile[],
  window?: LoadWindow,
  callersOf?: string,
): Summary {
  const self = {
    category: new Map<string, number>(),
    file: new Map<string, number>(),
    fn: new Map<string, number>(),
  };
  const inclusive = new Map<string, number>();
  const callers = new Map<string, number>();
  const stages = new Map<string, number>();
  let cpu = 0, samples = 0, wall = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stageCache = new Map<number, string>();
    const stage = (id: number): string => {
      let st = stageCache.get(id);
      if (st !== undefined) return st;
      const node = byId.get(id)!;
      const up = parent.get(id);
      st = stageOf(node.callFrame.url) ??
        (up === undefined ? "Deno runtime (event loop, ops, timers)" : stage(up));
      stageCache.set(id, st);
      return st;
    };
    const filesOnStack = new Map<number, Set<string>>();
    const stackFiles = (id: number): Set<string> => {
      let s = filesOnStack.get(id);
      if (s) return s;
      const up = parent.get(id);
      s = new Set(up === undefined ? [] : stackFiles(up));
      const url = byId.get(id)!.callFrame.url;
      if (url) s.add(shortUrl(url));
      filesOnStack.set(id, s);
      return s;
    };
    let t = p.startTime;
    let first = Infinity, last = -Infinity;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i];
      if (window && (t < window.startUs || t > window.endUs)) continue;
      // A sample stands for the time until the next one.
      const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
      const node = byId.get(p.samples[i])!;
      const { functionName, url, lineNumber } = node.callFrame;
      first = Math.min(first, t);
      last = Math.max(last, t);
      samples++;
      const cat = category(url, functionName);
      add(self.category, cat, dt);
      if (cat === "idle") continue;
      cpu += dt;
      add(stages, cat === "GC" || cat === "V8/Deno native (outside JS)" ? cat : stage(node.id), dt);
      add(self.file, url ? shortUrl(url) : functionName || "(anonymous native)", dt);
      add(
        self.fn,
        `${functionName || "(anonymous)"} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ""}`
          .trim(),
        dt,
      );
      for (const f of stackFiles(node.id)) add(inclusive, f, dt);
      if (callersOf && functionName === callersOf) {
        const chain: string[] = [];
        for (
          let up = parent.get(node.id);
          up !== undefined && chain.length < 5;
          up = parent.get(up)
        ) {
          const f = byId.get(up)!.callFrame;
          if (f.functionName === "(root)") break;
          chain.push(
            `${f.functionName || "(anonymous)"}${
              f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ""
            }`,
          );
        }
        add(callers, chain.join(" ← "), dt);
      }
    }
    if (last > first) wall += (last - first) / 1000;
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    profiles: profiles.length,
    samples,
    cpuMs: cpu,
    wallMs: wall,
    requests: window?.requests,
    byStage: sorted(stages),
    byCategory: sorted(self.category),
    byFile: sorted(self.file),
    inclusiveByFile: sorted(inclusive),
    byFunction: sorted(self.fn),
    callers: sorted(callers),
  };
}

/** The profiles in `dir` of main threads, or of worker threads (`*.worker-N.cpuprofile`). */
async function readProfiles(dir: string, workers: boolean): Promise<CpuProfile[]> {
  const out: CpuProfile[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".cpuprofile") && /\.worker-\d+\./.test(e.name) === workers) {
        out.push(JSON.parse(await Deno.readTextFile(`${dir}/${e.name}`)));
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

function print(title: string, s: Summary, top: number): void {
  const perReq = s.requests
    ? (ms: number) => ` ${((ms * 1000) / s.requests!).toFixed(1).padStart(8)} µs/req`
    : () => "";
  const pct = (ms: number) => `${((100 * ms) / s.cpuMs).toFixed(1).padStart(5)}%`;
  console.log(
    `\n== ${title}: ${s.profiles} profile(s), ${s.samples} samples, CPU ${
      s.cpuMs.toFixed(0)
    } ms over ${s.wallMs.toFixed(0)} ms` +
      (s.requests
        ? `, ${s.requests} requests → ${
          ((s.cpuMs * 1000) / s.requests).toFixed(0)
        } µs CPU per request`
        : ""),
  );
  const table = (name: string, rows: [string, number][]) => {
    console.log(`-- ${name} (% of non-idle CPU)`);
    for (const [k, ms] of rows.slice(0, top)) {
      console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms${perReq(ms)}  ${k}`);
    }
  };
  table("time by request stage (nearest owning frame on the stack)", s.byStage);
  table("self time by category", s.byCategory.filter(([k]) => k !== "idle"));
  table("self time by file", s.byFile);
  table("inclusive time by file", s.inclusiveByFile);
  table("self time by function", s.byFunction);
  if (s.callers.length) table("callers (self time of the function asked for)", s.callers);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      window: { type: "string" },
      top: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
      callers: { type: "string" },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new Error("usage: profile_summary.ts DIR [--window NAME] [--top N] [--json]");
  let window: LoadWindow | undefined;
  if (values.window) {
    const windows: LoadWindow[] = JSON.parse(await Deno.readTextFile(`${dir}/windows.json`));
    window = windows.find((w) => w.name === values.window);
    if (!window) {
      throw new Error(
        `no window "${values.window}" in ${dir}/windows.json: ${windows.map((w) => w.name)}`,
      );
    }
  }
  const results: Record<string, Summary> = {};
  const parts = {
    "Kiln main thread": ["kiln", false],
    "Kiln worker threads (wasm tier, …)": ["kiln", true],
    "isolate host main thread(s)": ["host", false],
    "isolate host worker threads": ["host", true],
  } as const;
  for (const [title, [sub, workers]] of Object.entries(parts)) {
    const profiles = await readProfiles(`${dir}/${sub}`, workers);
    if (profiles.length) results[title] = summarise(profiles, window, values.callers);
  }
  if (values.json) return console.log(JSON.stringify(results, null, 2));
  for (const [title, s] of Object.entries(results)) {
    if (s.cpuMs > 0) print(title, s, Number(values.top));
  }
}

if (import.meta.main) await main();
