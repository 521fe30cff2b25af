/**
 * jco's tools (a component's WIT, its generated bindings) on a worker thread of their own. They
 * are synchronous wasm calls that take seconds on an engine-carrying component (componentize-js:
 * ~2 s to generate, ~1 s to read its WIT on a quiet machine): run on Kiln's main thread, one
 * app's registration or first request would stall every other app. Jobs run one at a time on one
 * lazily started worker, each bounded by `component.compileMs`; past it the worker is terminated
 * (that ends the stuck call, which nothing else can) and the next job starts a fresh one. An idle
 * worker ends after a few seconds: a node that read a component once does not keep jco resident,
 * and a worker (which keeps its process alive) does not hold up a command's exit for long. Node's
 * unref-able worker threads were measured: ~10 s to start one, against ~1 s for a web worker.
 */
import { KilnError, LIMITS } from "../../../core/mod.ts";
import type { Transpiled } from "@bytecodealliance/jco-transpile/component";

export type JcoJob =
  | { id: number; op: "wit"; bytes: Uint8Array }
  | { id: number; op: "generate"; bytes: Uint8Array; options: unknown };

export type JcoReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

/** A tool's own refusal of the bytes (not a component, a malformed one): its message. */
export class JcoToolError extends Error {}

/** How long a worker that has nothing to do is kept: a registration's WIT check and the first
 * request's transpile, which follows it, share one. */
const IDLE_MS = 5_000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

let worker: Worker | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

/** The component's WIT text, as `wasm-tools component wit` prints it. */
export function componentWit(bytes: Uint8Array): Promise<string> {
  return run({ id: nextId++, op: "wit", bytes }) as Promise<string>;
}

/** jco's `generate` (bindings and core modules) for `bytes` with `options`. */
export function generateBindings(bytes: Uint8Array, options: unknown): Promise<Transpiled> {
  return run({ id: nextId++, op: "generate", bytes, options }) as Promise<Transpiled>;
}

function run(job: JcoJob): Promise<unknown> {
  const current = started();
  clearTimeout(idleTimer);
  return new Promise((resolve, reject) => {
    const max = LIMITS["component.compileMs"];
    const timer = setTimeout(() => {
      // The call cannot be interrupted inside the worker: end the worker, and every job with it.
      stop(
        new KilnError(
          "COMPONENT_BUILD_FAILED",
          `reading the WebAssembly component took longer than ${max} ms`,
          { limit: "component.compileMs" },
        ),
      );
    }, max);
    pending.set(job.id, { resolve, reject, timer });
    // A transferred copy: the caller keeps its bytes (a component is read, then transpiled), and
    // a structured clone of megabytes would be serialised on this thread.
    const bytes = job.bytes.slice();
    current.postMessage({ ...job, bytes }, [bytes.buffer]);
  });
}

function started(): Worker {
  if (worker) return worker;
  const created = new Worker(new URL("./_jco_worker.ts", import.meta.url), { type: "module" });
  created.onmessage = ({ data }: MessageEvent<JcoReply>) => {
    const job = pending.get(data.id);
    if (!job) return;
    pending.delete(data.id);
    clearTimeout(job.timer);
    if (data.ok) job.resolve(data.value);
    else job.reject(new JcoToolError(data.error));
    if (pending.size === 0) {
      idleTimer = setTimeout(() => stop(), IDLE_MS);
      Deno.unrefTimer(idleTimer);
    }
  };
  created.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    if (worker !== created) return;
    stop(new KilnError("UNAVAILABLE", `cannot read WebAssembly components: ${event.message}`));
  };
  worker = created;
  return created;
}

/** Ends the worker; jobs still waiting fail with `reason`. */
function stop(reason?: Error): void {
  clearTimeout(idleTimer);
  worker?.terminate();
  worker = undefined;
  for (const job of pending.values()) {
    clearTimeout(job.timer);
    job.reject(reason ?? new Error("the jco worker stopped"));
  }
  pending.clear();
}
