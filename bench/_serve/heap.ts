/**
 * Where Kiln's main thread allocates per request under load, from V8's sampling heap profiler
 * (over the inspector, the Chrome DevTools Protocol): bytes per request by the function that
 * allocated them. `--survivors` counts only what outlived a young-generation collection — what
 * those collections copy and promote, which is what a request's objects cost the collector.
 *
 *   deno run -A bench/_serve/heap.ts [--tier isolate|wasm] [--survivors] [--top 25]
 */
import { parseArgs } from "node:util";
import { BODY, check, type Tier, wordsApp } from "./apps.ts";
import { register, startKiln } from "./kiln.ts";
import { freePort, loadavg, waitQuiet } from "./procs.ts";
import { wrk } from "./wrk.ts";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

const { values } = parseArgs({
  options: {
    tier: { type: "string", default: "isolate" },
    survivors: { type: "boolean", default: false },
    top: { type: "string", default: "25" },
  },
});
const tier = values.tier as Tier;
const port = freePort();
const kiln = await startKiln({ containers: "off", inspectPort: port });
try {
  await register(kiln, wordsApp("bench", [tier]));
  const url = `${kiln.url}/apps/bench/words-${tier}`;
  await wrk(url, { body: BODY, connections: 32, durationS: 2 });
  await Promise.all(Array.from({ length: 32 }, () => check(url)));
  await waitQuiet(kiln.pid);
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const cdp = await devtools(target.webSocketDebuggerUrl);
  await cdp.call("HeapProfiler.enable");
  await cdp.call("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !values.survivors,
  });
  const load = await wrk(url, { body: BODY, connections: 32, durationS: 6 });
  const { profile } = await cdp.call("HeapProfiler.stopSampling") as {
    profile: { head: HeapNode };
  };
  cdp.close();
  const bySite = new Map<string, number>();
  const walk = (node: HeapNode) => {
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(src|bench)\//, "$1/");
    const site = `${f.functionName || "(anonymous)"} ${file || "(native)"}${
      file ? `:${f.lineNumber + 1}` : ""
    }`;
    if (node.selfSize) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children ?? []) walk(child);
  };
  walk(profile.head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const what = values.survivors ? "outlived a young-generation collection" : "allocated";
  console.log(
    `kiln ${tier}: ${load.rps.toFixed(0)} req/s, ${load.requests} requests, load ${loadavg()}`,
  );
  console.log(`bytes ${what} per request: ${(total / load.requests).toFixed(0)} (sampled)`);
  const top = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [site, bytes] of top) {
    console.log(`${(bytes / load.requests).toFixed(0).padStart(7)}  ${site}`);
  }
} finally {
  await kiln.stop();
}
Deno.exit(0);

/** A minimal DevTools Protocol client: one call at a time is all this needs. */
async function devtools(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  };
  return {
    call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      return new Promise((resolve, reject) => {
        pending.set(
          ++id,
          (m) => m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result),
        );
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}
