/**
 * jco's tools (a component's WIT, its generated bindings) on a worker thread of their own. They
 * are synchronous wasm calls that take seconds on an engine-carrying component (componentize-js:
 * ~2 s to generate, ~1 s to read its WIT on a quiet machine): run on Kiln's main thread, one
 * app's registration or first request would stall every other app.
 *
 * Jobs queue here and go to one lazily started worker one at a time, so each job's deadline
 * (`component.compileMs`) counts only its own work. A job past it ends the worker (nothing else
 * stops a synchronous call) and fails alone; the jobs behind it go to a fresh worker. A worker
 * that cannot start fails the waiting jobs as UNAVAILABLE (Kiln's trouble, not the component's).
 * An idle worker ends after a few seconds: a node that read a component once does not keep jco
 * resident, and a worker (which keeps its process alive) does not hold up a command's exit for
 * long. Node's unref-able worker threads were measured: ~10 s to start one, against ~1 s for a web
 * worker.
 */
import { KilnError, LIMITS } from "../../../core/mod.ts";
import type { Transpiled } from "@bytecodealliance/jco-transpile/component";

export type JcoJob =
  | { id: number; op: "wit"; bytes: Uint8Array }
  | { id: number; op: "generate"; bytes: Uint8Array; options: unknown };

export type JcoReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

/** What the worker posts: `ready` once loaded, then one reply per job. */
export type JcoMessage = JcoReply | { ready: true };

/** A tool's own refusal of the bytes (not a component, a malformed one): its message. */
export class JcoToolError extends Error {}

/**
 * How long a worker that has nothing to do is kept: a registration's WIT check and the first
 * request's transpile, which follows it, share one.
 */
const IDLE_MS = 5_000;

interface Queued {
  job: JcoJob;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let ready = false;
let current: (Queued & { timer: ReturnType<typeof setTimeout> }) | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let startTimer: ReturnType<typeof setTimeout> | undefined;
let nextId = 1;
const queue: Queued[] = [];

/** The component's WIT text, as `wasm-tools component wit` prints it. */
export function componentWit(bytes: Uint8Array): Promise<string> {
  return run({ id: nextId++, op: "wit", bytes }) as Promise<string>;
}

/** jco's `generate` (bindings and core modules) for `bytes` with `options`. */
export function generateBindings(bytes: Uint8Array, options: unknown): Promise<Transpiled> {
  return run({ id: nextId++, op: "generate", bytes, options }) as Promise<Transpiled>;
}

function run(job: JcoJob): Promise<unknown> {
  clearTimeout(idleTimer);
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    pump();
  });
}

/** Hands the next job to a ready worker (starting one when needed). */
function pump(): void {
  if (current || queue.length === 0) return;
  if (!worker) return start();
  if (!ready) return;
  const next = queue.shift()!;
  const max = LIMITS["component.compileMs"];
  const timer = setTimeout(() => {
    const late = current!;
    current = undefined;
    end();
    late.reject(
      new KilnError(
        "COMPONENT_BUILD_FAILED",
        `reading the WebAssembly component took longer than ${max} ms`,
        { limit: "component.compileMs" },
      ),
    );
    pump();
  }, max);
  current = { ...next, timer };
  // A transferred copy: the caller keeps its bytes (a component is read, then transpiled), and
  // a structured clone of megabytes would be serialised on this thread.
  const bytes = next.job.bytes.slice();
  worker.postMessage({ ...next.job, bytes }, [bytes.buffer]);
}

function start(): void {
  const created = new Worker(new URL("./_jco_worker.ts", import.meta.url), {
    type: "module",
    // jco reads its own core wasm from its package (and a debug variable of its WASI shim);
    // nothing else is needed to parse bytes.
    deno: {
      permissions: {
        read: "inherit",
        env: "inherit",
        write: false,
        net: false,
        run: false,
        ffi: false,
        sys: false,
        import: false,
      },
    },
  });
  worker = created;
  ready = false;
  startTimer = setTimeout(
    () => failQueued(created, "the jco worker did not start in time"),
    LIMITS["component.compileMs"],
  );
  created.onmessage = ({ data }: MessageEvent<JcoMessage>) => {
    if (worker !== created) return;
    if ("ready" in data) {
      clearTimeout(startTimer);
      ready = true;
      return pump();
    }
    if (!current || current.job.id !== data.id) return;
    const done = current;
    current = undefined;
    clearTimeout(done.timer);
    if (data.ok) done.resolve(data.value);
    else done.reject(new JcoToolError(data.error));
    if (queue.length > 0) return pump();
    idleTimer = setTimeout(end, IDLE_MS);
    Deno.unrefTimer(idleTimer);
  };
  created.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    failQueued(created, event.message);
  };
}

/** The worker failed (or never started): every job waiting on it fails as UNAVAILABLE. */
function failQueued(failed: Worker, reason: string): void {
  if (worker !== failed) return;
  const jobs = [...(current ? [current] : []), ...queue.splice(0)];
  if (current) clearTimeout(current.timer);
  current = undefined;
  end();
  const err = new KilnError("UNAVAILABLE", `cannot read WebAssembly components: ${reason}`);
  for (const job of jobs) job.reject(err);
}

function end(): void {
  clearTimeout(idleTimer);
  clearTimeout(startTimer);
  worker?.terminate();
  worker = undefined;
  ready = false;
}
