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

interface Queued {
  job: JcoJob;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface JcoToolsOptions {
  /** The worker's module (tests give a stand-in speaking the same protocol). */
  workerUrl?: URL | string;
  /** Each job's deadline from hand-over, and the worker's to start (`component.compileMs`). */
  deadlineMs?: number;
  /**
   * How long a worker with nothing to do is kept: a registration's WIT check and the first
   * request's transpile, which follows it, share one.
   */
  idleMs?: number;
}

/** One worker and its queue. */
export class JcoTools {
  readonly #url: URL | string;
  readonly #deadlineMs: number;
  readonly #idleMs: number;
  #worker: Worker | undefined;
  #ready = false;
  #current: (Queued & { timer: ReturnType<typeof setTimeout> }) | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  readonly #queue: Queued[] = [];

  constructor(opts: JcoToolsOptions = {}) {
    this.#url = opts.workerUrl ?? new URL("./_jco_worker.ts", import.meta.url);
    this.#deadlineMs = opts.deadlineMs ?? LIMITS["component.compileMs"];
    this.#idleMs = opts.idleMs ?? 5_000;
  }

  /** The component's WIT text, as `wasm-tools component wit` prints it. */
  wit(bytes: Uint8Array): Promise<string> {
    return this.#run({ id: this.#nextId++, op: "wit", bytes }) as Promise<string>;
  }

  /** jco's `generate` (bindings and core modules) for `bytes` with `options`. */
  generate(bytes: Uint8Array, options: unknown): Promise<Transpiled> {
    return this.#run({ id: this.#nextId++, op: "generate", bytes, options }) as Promise<
      Transpiled
    >;
  }

  /** Ends the worker; jobs still waiting fail as UNAVAILABLE. */
  close(): void {
    if (this.#worker) this.#failQueued(this.#worker, "the jco worker was stopped");
  }

  #run(job: JcoJob): Promise<unknown> {
    clearTimeout(this.#idleTimer);
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  /** Hands the next job to a ready worker (starting one when needed). */
  #pump(): void {
    if (this.#current || this.#queue.length === 0) return;
    if (!this.#worker) return this.#start();
    if (!this.#ready) return;
    const next = this.#queue.shift()!;
    const timer = setTimeout(() => {
      const late = this.#current!;
      this.#current = undefined;
      this.#end();
      late.reject(
        new KilnError(
          "COMPONENT_BUILD_FAILED",
          `reading the WebAssembly component took longer than ${this.#deadlineMs} ms`,
          { limit: "component.compileMs" },
        ),
      );
      this.#pump();
    }, this.#deadlineMs);
    this.#current = { ...next, timer };
    // A transferred copy: the caller keeps its bytes (a component is read, then transpiled), and
    // a structured clone of megabytes would be serialised on this thread.
    const bytes = next.job.bytes.slice();
    this.#worker.postMessage({ ...next.job, bytes }, [bytes.buffer]);
  }

  #start(): void {
    const created = new Worker(this.#url, {
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
    this.#worker = created;
    this.#ready = false;
    this.#startTimer = setTimeout(
      () => this.#failQueued(created, "the jco worker did not start in time"),
      this.#deadlineMs,
    );
    created.onmessage = ({ data }: MessageEvent<JcoMessage>) => {
      if (this.#worker !== created) return;
      if ("ready" in data) {
        clearTimeout(this.#startTimer);
        this.#ready = true;
        return this.#pump();
      }
      const done = this.#current;
      if (!done || done.job.id !== data.id) return;
      this.#current = undefined;
      clearTimeout(done.timer);
      if (data.ok) done.resolve(data.value);
      else done.reject(new JcoToolError(data.error));
      if (this.#queue.length > 0) return this.#pump();
      this.#idleTimer = setTimeout(() => this.#end(), this.#idleMs);
      Deno.unrefTimer(this.#idleTimer);
    };
    created.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failQueued(created, event.message);
    };
  }

  /** The worker failed (or never started): every job waiting on it fails as UNAVAILABLE. */
  #failQueued(failed: Worker, reason: string): void {
    if (this.#worker !== failed) return;
    const jobs = [...(this.#current ? [this.#current] : []), ...this.#queue.splice(0)];
    if (this.#current) clearTimeout(this.#current.timer);
    this.#current = undefined;
    this.#end();
    const err = new KilnError("UNAVAILABLE", `cannot read WebAssembly components: ${reason}`);
    for (const job of jobs) job.reject(err);
  }

  #end(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#startTimer);
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = false;
  }
}

const shared = new JcoTools();

/** The component's WIT text, on the process's jco worker. */
export function componentWit(bytes: Uint8Array): Promise<string> {
  return shared.wit(bytes);
}

/** jco's `generate` for `bytes` with `options`, on the process's jco worker. */
export function generateBindings(bytes: Uint8Array, options: unknown): Promise<Transpiled> {
  return shared.generate(bytes, options);
}
