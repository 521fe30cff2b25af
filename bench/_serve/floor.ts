/**
 * The isolate tier's design with nothing else: the floor its shape sets. A `Deno.serve` hands
 * each request to a permissionless child `deno` process over Node's IPC channel, whose main thread
 * passes it to a `Worker` that runs the word count; the answer comes back the same way. That is
 * the isolate tier's path (ADR 0009, 0016) — a process hop to the app's host and a thread hop to
 * its guest — without routing, execution tokens, limits, logs, metrics or Kiln's frame checks.
 * It is generous to itself: one worker takes every request, and each side sends what one
 * event-loop turn gathered as one message, as Kiln's host does with its `done` frames.
 */
import { wordCount } from "./apps.ts";

/** The guest worker: answers a batch of `[id, body]` with `[id, json]`. */
const WORKER = `
const wordCount = ${wordCount.toString()};
self.onmessage = ({ data }) => self.postMessage(data.map(([id, body]) => {
  try {
    return [id, JSON.stringify(wordCount({ httpDetails: { body } }))];
  } catch {
    return [id, null];
  }
}));
`;

/** The app's host: relays batches between the IPC channel and its worker. */
const HOST = `
import process from "node:process";
const worker = new Worker(${JSON.stringify(dataUrl(WORKER))}, { type: "module" });
worker.onmessage = ({ data }) => process.send(data);
process.on("message", (batch) => worker.postMessage(batch));
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
let batch = [];
host.on("message", (done) => {
  for (const [id, json] of done) {
    waiting.get(id)?.(json);
    waiting.delete(id);
  }
});
function send(id, body) {
  batch.push([id, body]);
  if (batch.length === 1) queueMicrotask(() => { const out = batch; batch = []; host.send(out); });
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
