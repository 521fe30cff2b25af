/**
 * The component host: Kiln itself (`kiln __component-host`, `child.ts`) with every permission
 * dropped, holding one app's WebAssembly component workers. It is a relay: Kiln starts, feeds and
 * ends workers by frame on the host's channel (Node's IPC on fd 3, which only this thread holds),
 * and the host hands each worker's messages back as they are. It exists so that what
 * `terminate()` cannot stop — a worker whose component is stuck in a loop — ends with this
 * process, never inside Kiln's (ADR 0037).
 *
 * Kiln → host: `spawn {w, key, js?, cores?}` (a component's code, sent once per key; its cores are
 * compiled once and shared by every worker of it),
 * `post {w, m}`, `end {w}`. Host → Kiln: `ready`, `msg {w, m}`, `error {w, message}`, `spent`,
 * and `batch {frames}` of those.
 *
 * Runs once `src/child_main.ts` has dropped every permission; it refuses to run with any left.
 */
import { WORKER_SOURCE } from "./_worker_source.ts";
import { endWorker } from "../../_end_worker.ts";

interface Code {
  js: string;
  /**
   * Its core modules, compiled once here and posted to each worker (which shares the compiled
   * code): a worker replaced after a kill does not compile them again — seconds of CPU for a
   * component that carries a JS engine.
   */
  modules: Promise<Record<string, WebAssembly.Module>>;
}

// deno-lint-ignore no-explicit-any
type Frame = any;

export async function componentHostMain(): Promise<void> {
  const encoder = new TextEncoder();
  for (const name of ["read", "write", "net", "env", "run", "ffi", "sys"] as const) {
    if (Deno.permissions.querySync({ name }).state !== "granted") continue;
    Deno.stderr.writeSync(
      encoder.encode(`kiln component host: refusing to run with ${name} access\n`),
    );
    Deno.exit(1);
  }
  // deno-lint-ignore no-explicit-any
  const channel = (await import("node:process")).default as any;
  const { setImmediate } = await import("node:timers");
  // Frames of one turn of the event loop leave in one message: one write here, one read and
  // parse in Kiln, however many workers spoke.
  let batch: unknown[] = [];
  const flush = () => {
    const frames = batch;
    batch = [];
    channel.send(frames.length === 1 ? frames[0] : { t: "batch", frames });
  };
  const send = (frame: unknown) => {
    if (batch.length === 0) setImmediate(flush);
    batch.push(frame);
  };
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const workers = new Map<number, Worker>();
  const codes = new Map<string, Code>();
  let spent = false;

  /** Ends a worker; one that may be stuck makes the host spent (`_end_worker.ts`). */
  const stop = (worker: Worker) =>
    endWorker(worker, { type: "ping" }, (data: Frame) => data?.type === "pong", () => {
      if (!spent) (spent = true, send({ t: "spent" }));
    });

  const spawn = (frame: Frame) => {
    if (frame.js !== undefined) {
      const compile = async ([name, text]: [string, string]) =>
        [name, await WebAssembly.compile(Uint8Array.fromBase64(text))] as const;
      const cores = Object.entries(frame.cores as Record<string, string>);
      const modules = Promise.all(cores.map(compile)).then(Object.fromEntries);
      modules.catch(() => {});
      codes.set(frame.key, { js: frame.js, modules });
    }
    const code = codes.get(frame.key);
    if (!code) return send({ t: "error", w: frame.w, message: `no code for ${frame.key}` });
    const worker = new Worker(url, { type: "module" });
    workers.set(frame.w, worker);
    worker.onmessage = (event: MessageEvent) => send({ t: "msg", w: frame.w, m: event.data });
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // Its thread closed on the uncaught error: nothing is left to stop.
      workers.delete(frame.w);
      worker.terminate();
      send({ t: "error", w: frame.w, message: String(event.message) });
    };
    code.modules.then(
      (modules) => {
        if (workers.get(frame.w) === worker) {
          worker.postMessage({ type: "load", js: code.js, modules });
        }
      },
      (err) => {
        if (workers.get(frame.w) !== worker) return;
        send({ t: "msg", w: frame.w, m: { type: "loaded", error: String(err?.message ?? err) } });
      },
    );
  };

  channel.on("message", (frame: Frame) => {
    if (frame.t === "spawn") return spawn(frame);
    const worker = workers.get(frame.w);
    if (!worker) return;
    if (frame.t === "post") return worker.postMessage(frame.m);
    if (frame.t === "end") (workers.delete(frame.w), stop(worker));
  });
  // Kiln went away (or closed the channel): nothing is left to serve.
  channel.on("disconnect", () => Deno.exit(0));
  send({ t: "ready" });
}
