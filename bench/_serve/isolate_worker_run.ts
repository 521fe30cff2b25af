/**
 * What the isolate worker's program (`_worker_program.ts`) costs per execution, apart from any
 * server: runs of the word count posted to one worker one at a time, as the isolate host posts
 * them, against a worker that only runs the function. Prints wall time and each thread's CPU per
 * run (this process's main thread, the worker, V8's helpers).
 *
 *   deno run -A --v8-flags=--expose-gc bench/_serve/isolate_worker_run.ts [kiln|bare] [RUNS]
 */
import { workerMain } from "../../src/sandbox/isolate/_worker_program.ts";
import { BODY, wordCount } from "./apps.ts";
import { threadsOf } from "./procs.ts";

const kind = Deno.args[0] ?? "kiln";
const RUNS = Number(Deno.args[1] ?? 20_000);
const source = `export ${wordCount.toString()}\n`;
const input = JSON.stringify([
  { httpDetails: { body: BODY, headers: { "content-type": "application/json" } } },
  { appId: "bench", componentId: "words", requestId: "r-1", mcp_token: "kiln_x_y" },
]);
const program = kind === "kiln" ? `(${workerMain.toString()})();` : `
const wordCount = ${wordCount.toString()};
self.onmessage = ({ data }) => {
  const [requestData] = JSON.parse(data.input);
  const json = JSON.stringify(wordCount(requestData));
  self.postMessage({ t: "done", id: data.id, outcome: { kind: "ok", json } });
};
self.postMessage({ t: "ready" });`;
const url = URL.createObjectURL(new Blob([program], { type: "text/javascript" }));
const worker = new Worker(url, { type: "module" });
let answer!: (frame: { t: string; outcome?: { kind: string } }) => void;
worker.onmessage = (e) => answer(e.data);
const nextFrame = () => new Promise<{ t: string; outcome?: { kind: string } }>((r) => answer = r);
if ((await nextFrame()).t !== "ready") throw new Error("the worker did not start");

/** CPU seconds per thread of this process, by `name tid`. */
function threadsCpuS(): Map<string, number> {
  return new Map(threadsOf(Deno.pid).map((t) => [`${t.name} ${t.tid}`, t.cpuS]));
}

let first = true;
async function runs(n: number, from: number): Promise<void> {
  for (let id = from; id < from + n; id++) {
    const done = nextFrame();
    worker.postMessage({
      t: "run",
      id,
      realm: "words",
      hash: "h1",
      entry: "wordCount",
      input,
      timeoutMs: 5_000,
      memoryMb: 128,
      maxOutputBytes: 1 << 20,
      ...(first ? { source } : {}),
    });
    first = false;
    const frame = await done;
    if (frame.t !== "done" || frame.outcome?.kind !== "ok") throw new Error(JSON.stringify(frame));
  }
}

await runs(5_000, 0); // warm: V8 optimises both sides first
const before = threadsCpuS();
const started = performance.now();
await runs(RUNS, 1_000_000);
const wallUs = (performance.now() - started) * 1000 / RUNS;
const threads = [...threadsCpuS()]
  .map(([k, s]) => [k.split(" ")[0], (s - (before.get(k) ?? 0)) * 1e6 / RUNS] as const)
  .filter(([, us]) => us >= 0.5);
console.log(
  `${kind}: ${wallUs.toFixed(1)} µs wall per run; CPU µs per run: ` +
    threads.map(([name, us]) => `${name} ${us.toFixed(1)}`).join(", "),
);
worker.terminate();
