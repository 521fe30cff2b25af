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

/** CPU milliseconds per thread of this process, by name. */
function threadsCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of Deno.readDirSync("/proc/self/task")) {
    const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const key = `${comm} ${task.name}`;
    out.set(key, (Number(f[11]) + Number(f[12])) * 10);
  }
  return out;
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
const before = threadsCpuMs();
const started = performance.now();
await runs(RUNS, 1_000_000);
const wallUs = (performance.now() - started) * 1000 / RUNS;
const threads = [...threadsCpuMs()]
  .map(([k, ms]) => [k.split(" ")[0], (ms - (before.get(k) ?? 0)) * 1000 / RUNS] as const)
  .filter(([, us]) => us >= 0.5);
console.log(
  `${kind}: ${wallUs.toFixed(1)} µs wall per run; CPU µs per run: ` +
    threads.map(([name, us]) => `${name} ${us.toFixed(1)}`).join(", "),
);
worker.terminate();
