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
 *
 * A second run of the same app's same bundle may queue behind the one running (`queue`), so the
 * worker goes from one to the next without waiting for the main thread. Until the worker takes it,
 * the host can withdraw it through a shared claim cell: it does so when the first run has not ended
 * within `QUEUE_WAIT_MS`, or the worker dies, and the run goes to another worker instead. A queued
 * run thus never waits long behind another, and never behind another app or bundle.
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
  | { kind: "killed"; reason: "timeout" | "crash" | "shutdown"; message: string; aborted?: true }
  /** A queued run taken back before the worker started it: run it elsewhere. */
  | { kind: "withdrawn" };

/** How long a queued run waits for the run ahead of it to end before it is withdrawn. */
export const QUEUE_WAIT_MS = 5;
/** Only a bundle whose last run on the worker took less than this queues behind itself. */
const QUEUE_FAST_MS = 2;
const PAST_DEADLINE = "the QuickJS worker did not stop at the deadline";

interface ActiveRun {
  id: number;
  /** Who may queue behind it: the same app's same bundle (`queueKey`). */
  queueKey: string | null;
  host: ExecutionHost;
  /** The caller went away: the run's outcome no longer matters, only that it stops. */
  cancelled: boolean;
  /** An instance is loading: the watchdog waits for the start timeout. */
  loading(): void;
  /** The guest started: the watchdog now runs from its deadline. */
  started(): void;
  /** It is first in the worker's queue: its watchdog runs. */
  first(): void;
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
  /** The runs given to the worker and not ended, in the worker's order: at most two. */
  readonly #queue: ActiveRun[] = [];
  /** The id of the queued run while the worker has not taken it; its negation once withdrawn. */
  readonly #claim = new Int32Array(new SharedArrayBuffer(4));
  /** The last run that ended: its queue key and how long it took (ms). */
  #last: { queueKey: string | null; ms: number } = { queueKey: null, ms: Infinity };
  #started: { resolve(): void; reject(err: Error): void } | null = null;
  readonly #cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  readonly #toWorker = SharedRing.create(RING_BYTES);
  readonly #toHost = SharedRing.create(RING_BYTES);
  /** How runs went out and results came back: by ring or by message. */
  readonly handoffs = {
    ringRuns: 0,
    postedRuns: 0,
    ringResults: 0,
    postedResults: 0,
    queued: 0,
    withdrawn: 0,
  };
  /** The bundle sources the worker holds (see `_source_mirror.ts`). */
  readonly #sources = new SourceMirror<true>();

  private constructor(private readonly worker: Worker) {
    worker.postMessage({
      type: "init",
      cancel: this.#cancelFlag.buffer as SharedArrayBuffer,
      claim: this.#claim.buffer as SharedArrayBuffer,
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

  /** Runs in the worker's queue (0 when idle). */
  get runs(): number {
    return this.#queue.length;
  }

  /**
   * Whether a run of `queueKey` may queue behind this worker's run of the same key (the pool
   * checks that it is): its last run here was of that key and short, and nothing withdrawn is
   * still waiting in the ring to be skipped.
   */
  canQueue(queueKey: string): boolean {
    return !this.#dead && this.#queue.length < 2 && this.#last.queueKey === queueKey &&
      this.#last.ms < QUEUE_FAST_MS && Atomics.load(this.#claim, 0) === 0;
  }

  /**
   * Runs one execution; `graceMs` past its deadline the worker is presumed stuck and killed. With
   * `queue`, the run waits behind the one running (see `canQueue`), or ends `withdrawn`.
   */
  run(
    spec: GuestSpec,
    host: ExecutionHost,
    opts: {
      graceMs: number;
      startTimeoutMs?: number;
      signal?: AbortSignal;
      queueKey?: string;
      queue?: boolean;
    },
  ): Promise<RunResult> {
    // Behind nothing, a run given leave to queue just runs.
    const queued = opts.queue === true && this.#queue.length === 1;
    if (this.#dead || this.#queue.length > (queued ? 1 : 0)) {
      throw new Error("the QuickJS worker is not idle");
    }
    const id = this.#nextId++;
    return new Promise<RunResult>((resolve) => {
      const startedAt = performance.now();
      // While a QuickJS instance loads for this run, the wait is bounded by the start timeout;
      // otherwise by the guest's deadline plus the grace. Only the first run's watchdog runs.
      const arm = (ms: number, why: string) =>
        this.#queue[0] === active && watchdogs.set(this, ms, () => this.#stop("timeout", why));
      const gone = "the caller went away";
      const onAbort = () => {
        if (this.#dead || active.cancelled) return;
        active.cancelled = true;
        if (this.#withdraw(active)) return;
        Atomics.store(this.#cancelFlag, 0, id);
        this.#post({ type: "cancel", id });
        arm(opts.graceMs, `${gone}, and the QuickJS worker did not stop the run in time`);
      };
      opts.signal?.addEventListener("abort", onAbort);
      const active: ActiveRun = {
        id,
        queueKey: opts.queueKey ?? null,
        host,
        cancelled: false,
        loading: () =>
          active.cancelled || arm(
            opts.startTimeoutMs ?? spec.timeoutMs + opts.graceMs,
            "the QuickJS worker did not load an instance in time",
          ),
        started: () => active.cancelled || arm(spec.timeoutMs + opts.graceMs, PAST_DEADLINE),
        first: () => {
          watchdogs.clear(active);
          if (active.cancelled) arm(opts.graceMs, `${gone}, and the QuickJS worker did not stop`);
          else arm(spec.timeoutMs + opts.graceMs, PAST_DEADLINE);
        },
        finish: (result) => {
          const at = this.#queue.indexOf(active);
          if (at < 0) return;
          this.#queue.splice(at, 1);
          watchdogs.clear(active);
          opts.signal?.removeEventListener("abort", onAbort);
          if (result.kind !== "withdrawn") {
            this.#last = { queueKey: active.queueKey, ms: performance.now() - startedAt };
          }
          if (at === 0) {
            watchdogs.clear(this);
            this.#queue[0]?.first();
          }
          resolve(
            active.cancelled
              ? { kind: "killed", reason: "timeout", message: gone, aborted: true }
              : result,
          );
        },
      };
      this.#queue.push(active);
      const { source, ...rest } = spec;
      if (queued) {
        // Only by the ring, whose order the claim cell follows; what does not fit runs elsewhere.
        Atomics.store(this.#claim, 0, id);
        if (!writeRun(this.#toWorker, id, rest)) {
          Atomics.store(this.#claim, 0, 0);
          return active.finish({ kind: "withdrawn" });
        }
        this.#sources.touch(spec.key!);
        this.handoffs.ringRuns++;
        this.handoffs.queued++;
        watchdogs.set(active, QUEUE_WAIT_MS, () => this.#withdraw(active));
      } else {
        active.first();
        // The worker keeps what it was sent; the mirror says whether it holds this bundle.
        const held = spec.key !== undefined && this.#sources.touch(spec.key) !== undefined;
        if (!held && spec.key !== undefined) this.#sources.hold(spec.key, true);
        if (held && writeRun(this.#toWorker, id, rest)) this.handoffs.ringRuns++;
        else {
          // The worker takes a run from a message only where its ring says so: runs keep order.
          if (!writePosted(this.#toWorker)) {
            return this.#stop("crash", "the QuickJS worker's ring is full");
          }
          this.handoffs.postedRuns++;
          this.#post({ type: "run", id, spec: held ? rest : { ...rest, source } });
        }
      }
      if (opts.signal?.aborted) onAbort();
    });
  }

  /**
   * Takes a queued run back if the worker has not taken it (it then skips it): true when done.
   * The first run in the queue is never withdrawn.
   */
  #withdraw(active: ActiveRun): boolean {
    if (this.#queue.indexOf(active) < 1) return false;
    if (Atomics.compareExchange(this.#claim, 0, active.id, -active.id) !== active.id) return false;
    this.handoffs.withdrawn++;
    active.finish({ kind: "withdrawn" });
    return true;
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
    const queued = this.#queue[1];
    // A queued run the worker never took is not this failure's: it runs elsewhere.
    if (queued) this.#withdraw(queued);
    this.#dead = true;
    const started = this.#started;
    this.#started = null;
    started?.reject(new KilnError("TIER_UNAVAILABLE", `cannot start QuickJS: ${message}`));
    for (const active of [...this.#queue]) {
      active.finish({ kind: "killed", reason, message, ...(aborted ? { aborted } : {}) });
    }
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
    // Results by message and by ring may cross: a message is matched to its run, not to the first.
    const active = this.#queue[0]?.id === message.id ? this.#queue[0] : this.#queue[1];
    if (!active || active.id !== message.id) return;
    if (message.type === "loading") return active.loading();
    if (message.type === "started") return active.started();
    for (const line of message.logs) forwardLog(active.host, line);
    if (message.type === "done") return active.finish(message.outcome);
    // A cancelled run calls no more tools; it is stopping.
    if (active.cancelled) return;
    const { id, callId } = message;
    void answerCall(active.host, message.tool, message.params).then((reply) => {
      if (this.#queue.includes(active)) this.#post({ type: "reply", id, callId, reply });
    });
  }
}
