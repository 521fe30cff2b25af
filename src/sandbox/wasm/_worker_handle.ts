/**
 * The main-thread side of one QuickJS worker: starts it with no permissions, runs one execution at
 * a time on it, answers its MCP calls through the execution's host, forwards its log lines, and
 * terminates it when it stops answering (a watchdog past the deadline) or when the tier closes. A
 * terminated worker is never reused.
 *
 * A caller that goes away cancels its run without ending the worker: the run's id goes into a
 * shared cell the guest's interrupt handler reads (a guest in a loop) and a `cancel` message wakes
 * a guest waiting on a reply. The run then ends as usual, its snapshot is reset, and the worker is
 * reused; a replacement would cost a QuickJS compile (0.3-0.6 CPU-s). One that does not stop
 * within the grace is terminated as before, and its tool calls are not answered meanwhile.
 *
 * A run whose bundle the worker holds goes through a shared ring (`_shared_ring.ts`), and so does
 * an `ok` result; the main thread awaits the worker's ring with `Atomics.waitAsync`. What does not
 * fit, or is not one of those two, goes by `postMessage` (`_ring_codec.ts`).
 */
import { KilnError } from "../../core/mod.ts";
import { answerCall, forwardLog } from "../_guest_io.ts";
import type { ExecutionHost } from "../tier.ts";
import { Deadlines } from "../_deadlines.ts";
import type { GuestOutcome, GuestSpec, HostToWorker, WorkerToHost } from "./_protocol.ts";
import { SourceMirror } from "./_source_mirror.ts";
import { SharedRing } from "./_shared_ring.ts";
import { readDone, writePosted, writeRun } from "./_ring_codec.ts";

/**
 * Bytes of each ring. A run's input and an `ok` result up to about this size take the ring;
 * larger ones go by message.
 */
export const RING_BYTES = 64 * 1024;

/** How a run ended: the worker's own verdict, or the host's when it had to stop the worker. */
export type RunResult =
  | GuestOutcome
  | { kind: "killed"; reason: "timeout" | "crash" | "shutdown"; message: string; aborted?: true };

interface ActiveRun {
  id: number;
  host: ExecutionHost;
  /** The caller went away: the run's outcome no longer matters, only that it stops. */
  cancelled: boolean;
  /** An instance is loading: the watchdog waits for the start timeout. */
  loading(): void;
  /** The guest started: the watchdog now runs from its deadline. */
  started(): void;
  finish(result: RunResult): void;
}

/** The worker as one script (see scripts/bundle_workers.ts), so it loads with no read access. */
/**
 * The worker's script as a blob URL. The bundle (QuickJS and its wasm, ~0.9 MB of source) loads
 * with the first worker, not with Kiln; the specifier stays literal so `deno compile` embeds it.
 */
let workerUrl: Promise<string> | undefined;

/** Every worker's watchdog on one timer: one run at a time per worker, keyed by its handle. */
const watchdogs = new Deadlines();

export class QuickJsWorker {
  #dead = false;
  #nextId = 1;
  #active: ActiveRun | null = null;
  #started: { resolve(): void; reject(err: Error): void } | null = null;
  readonly #cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  readonly #toWorker = SharedRing.create(RING_BYTES);
  readonly #toHost = SharedRing.create(RING_BYTES);
  /** How runs went out and results came back: by ring or by message. */
  readonly handoffs = { ringRuns: 0, postedRuns: 0, ringResults: 0, postedResults: 0 };
  /** The bundle sources the worker holds (see `_source_mirror.ts`). */
  readonly #sources = new SourceMirror<true>();

  private constructor(private readonly worker: Worker) {
    worker.postMessage({
      type: "init",
      cancel: this.#cancelFlag.buffer as SharedArrayBuffer,
      toWorker: this.#toWorker.buffer,
      toHost: this.#toHost.buffer,
    });
    void this.#pump();
    worker.onmessage = (event: MessageEvent<WorkerToHost>) => this.#onMessage(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#stop("crash", `the QuickJS worker failed: ${event.message}`);
    };
    worker.onmessageerror = () =>
      this.#stop("crash", "the QuickJS worker sent an unreadable message");
  }

  /** Starts a worker and waits until QuickJS is loaded in it. */
  static async spawn(startTimeoutMs: number): Promise<QuickJsWorker> {
    workerUrl ??= import("../../generated/quickjs_worker.bundle.js", { with: { type: "text" } })
      .then((m) => URL.createObjectURL(new Blob([m.default], { type: "text/javascript" })));
    const url = await workerUrl;
    return new Promise<QuickJsWorker>((resolve, reject) => {
      const handle = new QuickJsWorker(
        new Worker(url, { type: "module", deno: { permissions: "none" } }),
      );
      const timer = setTimeout(() => {
        // Settle with the real reason before terminating, which would report a shutdown.
        reject(new KilnError("TIER_UNAVAILABLE", `QuickJS did not load in ${startTimeoutMs} ms`));
        handle.terminate();
      }, startTimeoutMs);
      handle.#started = {
        resolve: () => (clearTimeout(timer), resolve(handle)),
        reject: (err) => (clearTimeout(timer), handle.terminate(), reject(err)),
      };
    });
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Runs one execution; `graceMs` past its deadline the worker is presumed stuck and killed. */
  run(
    spec: GuestSpec,
    host: ExecutionHost,
    opts: { graceMs: number; startTimeoutMs?: number; signal?: AbortSignal },
  ): Promise<RunResult> {
    if (this.#dead || this.#active) throw new Error("the QuickJS worker is not idle");
    const id = this.#nextId++;
    return new Promise<RunResult>((resolve) => {
      // While a QuickJS instance loads for this run, the wait is bounded by the start timeout;
      // otherwise by the guest's deadline plus the grace.
      const arm = (ms: number, why: string) =>
        watchdogs.set(this, ms, () => this.#stop("timeout", why));
      arm(spec.timeoutMs + opts.graceMs, "the QuickJS worker did not stop at the deadline");
      const gone = "the caller went away";
      const onAbort = () => {
        if (this.#dead || active.cancelled) return;
        active.cancelled = true;
        Atomics.store(this.#cancelFlag, 0, id);
        this.#post({ type: "cancel", id });
        arm(opts.graceMs, `${gone}, and the QuickJS worker did not stop the run in time`);
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const active: ActiveRun = {
        id,
        host,
        cancelled: false,
        loading: () =>
          active.cancelled || arm(
            opts.startTimeoutMs ?? spec.timeoutMs + opts.graceMs,
            "the QuickJS worker did not load an instance in time",
          ),
        started: () =>
          active.cancelled ||
          arm(spec.timeoutMs + opts.graceMs, "the QuickJS worker did not stop at the deadline"),
        finish: (result) => {
          watchdogs.clear(this);
          opts.signal?.removeEventListener("abort", onAbort);
          this.#active = null;
          resolve(
            active.cancelled
              ? { kind: "killed", reason: "timeout", message: gone, aborted: true }
              : result,
          );
        },
      };
      this.#active = active;
      const { source, ...rest } = spec;
      // The worker keeps what it was sent; the mirror says whether it holds this bundle.
      const held = spec.key !== undefined && this.#sources.touch(spec.key) !== undefined;
      if (!held && spec.key !== undefined) this.#sources.hold(spec.key, true);
      if (held && writeRun(this.#toWorker, id, rest)) this.handoffs.ringRuns++;
      else {
        // The worker takes a run from a message only where its ring says so: runs keep their order.
        if (!writePosted(this.#toWorker)) {
          return this.#stop("crash", "the QuickJS worker's ring is full");
        }
        this.handoffs.postedRuns++;
        this.#post({ type: "run", id, spec: held ? rest : { ...rest, source } });
      }
      if (opts.signal?.aborted) onAbort();
    });
  }

  /** Kills the worker; a run in progress ends with reason `shutdown`. */
  terminate(): void {
    this.#stop("shutdown", "the wasm tier is shutting down");
  }

  #stop(reason: "timeout" | "crash" | "shutdown", message: string, aborted?: true): void {
    if (!this.#dead) {
      // Closing wakes a worker blocked in `Atomics.wait`, which `terminate()` alone does not
      // interrupt, and ends `#pump`.
      this.#toWorker.close();
      this.#toHost.close();
      this.worker.terminate();
    }
    this.#dead = true;
    const started = this.#started;
    this.#started = null;
    started?.reject(new KilnError("TIER_UNAVAILABLE", `cannot start QuickJS: ${message}`));
    this.#active?.finish({ kind: "killed", reason, message, ...(aborted ? { aborted } : {}) });
  }

  #post(message: HostToWorker): void {
    if (!this.#dead) this.worker.postMessage(message);
  }

  /** Reads the worker's ring for as long as the worker lives. */
  async #pump(): Promise<void> {
    const ring = this.#toHost;
    while (!this.#dead) {
      const seen = ring.signal();
      try {
        const record = ring.read();
        if (!record) {
          await ring.waitAsync(seen);
          continue;
        }
        const { id, outcome, logs } = readDone(record);
        this.handoffs.ringResults++;
        this.#onMessage({ type: "done", id, outcome, logs }, false);
      } catch (err) {
        // Nothing a worker writes may take Kiln's main thread down: that worker is ended.
        this.#stop("crash", `the QuickJS worker's result was unreadable: ${err}`);
      }
    }
  }

  #onMessage(message: WorkerToHost, posted = true): void {
    if (message.type === "done" && posted) this.handoffs.postedResults++;
    if (message.type === "ready") {
      this.#started?.resolve();
      this.#started = null;
      return;
    }
    if (message.type === "fatal") return this.#stop("crash", message.message);
    const active = this.#active;
    if (!active || active.id !== message.id) return;
    if (message.type === "loading") return active.loading();
    if (message.type === "started") return active.started();
    for (const line of message.logs) forwardLog(active.host, line);
    if (message.type === "done") return active.finish(message.outcome);
    // A cancelled run calls no more tools; it is stopping.
    if (active.cancelled) return;
    const { id, callId } = message;
    void answerCall(active.host, message.tool, message.params).then((reply) => {
      if (this.#active?.id === id) this.#post({ type: "reply", id, callId, reply });
    });
  }
}
