/**
 * The isolate tier's design with nothing else: the floor its shape sets. A `Deno.serve` hands
 * each request to a permissionless child `deno` process over Node's IPC channel, whose main thread
 * passes it to one of four workers that runs the word count; the answer comes back the same way.
 * That is the isolate tier's path as Kiln dispatches it (ADR 0009, 0016): a process hop to the
 * app's host, the frames of one event-loop turn sent together each way, four workers per app, each
 * running one execution at a time and handed each one by its own message. Left out: routing,
 * execution tokens, limits, deadlines, logs, metrics, Kiln's frame checks and the SDK.
 */
import { wordCount } from "./apps.ts";
import { type Server, spawnServer } from "./procs.ts";

/** Workers per app, as the isolate tier's default `workersPerApp`. */
const WORKERS = 4;

/** The guest worker: answers `[id, body]` with `[id, json]`. */
const WORKER = `
const wordCount = ${wordCount.toString()};
self.onmessage = ({ data: [id, body] }) => {
  let json = null;
  try {
    json = JSON.stringify(wordCount({ httpDetails: { body } }));
  } catch { /* a bad body: answered as null */ }
  self.postMessage([id, json]);
};
`;

/** The app's host: one run per idle worker, the rest queued; results of one turn leave together. */
const HOST = `
import process from "node:process";
import { setImmediate } from "node:timers";
const idle = [];
const queued = [];
let done = [];
const flush = () => { const out = done; done = []; process.send(out); };
for (let i = 0; i < ${WORKERS}; i++) {
  const worker = new Worker(${JSON.stringify(dataUrl(WORKER))}, { type: "module" });
  worker.onmessage = ({ data }) => {
    done.push(data);
    if (done.length === 1) setImmediate(flush);
    const next = queued.shift();
    if (next) worker.postMessage(next);
    else idle.push(worker);
  };
  idle.push(worker);
}
process.on("message", (runs) => {
  for (const run of runs) {
    const worker = idle.pop();
    if (worker) worker.postMessage(run);
    else queued.push(run);
  }
});
process.on("disconnect", () => Deno.exit(0));
`;

/** The server (prints `listening on <url>`); run with `--allow-net --allow-run --allow-env`. */
export const FLOOR_SOURCE = `
import { spawn } from "node:child_process";
// No permission flags: the host runs with none, as Kiln's isolate hosts do.
const host = spawn(Deno.execPath(), ["run", "--no-prompt", ${JSON.stringify(dataUrl(HOST))}], {
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
host.on("exit", (code) => { console.error("host exited", code); Deno.exit(1); });
const waiting = new Map();
let next = 0;
let runs = [];
host.on("message", (done) => {
  for (const [id, json] of done) {
    waiting.get(id)?.(json);
    waiting.delete(id);
  }
});
function send(id, body) {
  runs.push([id, body]);
  if (runs.length === 1) queueMicrotask(() => { const out = runs; runs = []; host.send(out); });
}
Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log("listening on http://127.0.0.1:" + port) },
  async (req) => {
    const body = await req.text();
    const id = next++;
    const json = await new Promise((resolve) => { waiting.set(id, resolve); send(id, body); });
    return json === null
      ? new Response("bad body", { status: 400 })
      : new Response(json, { headers: { "content-type": "application/json" } });
  });
`;

function dataUrl(source: string): string {
  return `data:text/javascript;base64,${btoa(source)}`;
}

/** Starts the floor server in its own process; `stop` ends it (and so its host). */
export async function startFloor(): Promise<Server> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, FLOOR_SOURCE);
  const server = await spawnServer({
    cmd: Deno.execPath(),
    args: ["run", "--allow-net", "--allow-run", "--allow-env", file],
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await Deno.remove(file).catch(() => {});
    },
  };
}
