/**
 * Kiln's handle on one isolate host process: starts it (Kiln itself, `kiln __isolate-host`, which
 * drops every permission before it loads guest code; from source with no remote or npm modules
 * and a V8 heap limit), sends it executions, answers their MCP calls through each
 * execution's host, forwards their logs, and notices when the process dies — past its memory cap
 * or a heap overflow (reason `memory`), a crash, or a kill by the watchdog when it stopped
 * answering.
 *
 * Frames travel on a channel only the host's main thread holds (see `_protocol.ts`), read in
 * constant work per byte (`_line_reader.ts`) and bounded by the largest a worker can legitimately
 * send. Everything on stdout or stderr is stray output (a guest writing to fd 1/2 behind the SDK's
 * back), counted against the host's `sandbox.stray_bytes` budget and never buffered; so are frames
 * that carry nothing (for a run that has ended, a second `ready`). A host over that budget, or one
 * whose frames break the protocol (a start it announces twice or out of order, which would re-arm
 * the watchdog), is killed and its runs end with reason `output`. A host that says it is `spent` (a
 * worker it ended did not stop, ADR 0037) takes no more runs and is killed once those it has are
 * done, or after `spentGraceMs`.
 */
import type { ChildProcess } from "node:child_process";
import { type ChildCommand, KilnError, LIMITS } from "../../core/mod.ts";
import { nodeTimers } from "../../core/node/mod.ts";
import { type HostChannel, spawnHost, startedWithin } from "../_host_spawn.ts";
import { answerCall, forwardLog } from "../_guest_io.ts";
import {
  DEFAULT_LIMITS,
  type ExecutionHost,
  MAX_CALLS_IN_FLIGHT,
  TOO_MANY_CALLS,
} from "../tier.ts";
import { lineReader } from "../_line_reader.ts";
import {
  DONE_BATCH_BYTES,
  type FromHost,
  HOST_MEMORY_CAP,
  type HostConfig,
  type HostOutcome,
  MEMORY_EXIT_CODE,
  type RunSpec,
  type ToHost,
} from "./_protocol.ts";

export interface HostProcessOptions {
  /** How Kiln starts itself as a child (the host is `kiln __isolate-host`). */
  command: ChildCommand;
  /** Each worker's memory limit, in MB (also its V8 heap limit). */
  memoryMb: number;
  /** Workers started with the process. */
  warm: number;
  /** Workers alive at most: the app's concurrency cap. */
  maxWorkers: number;
  /** Workers beyond `warm` idle this long are retired (see `HostConfig`). */
  idleWorkerMs: number;
  startTimeoutMs: number;
  /** Stray bytes the host may write in its life (default `LIMITS["sandbox.stray_bytes"]`). */
  strayBytes?: number;
  /**
   * How long a `spent` host may finish the runs it has before it is ended anyway (default
   * `SPENT_GRACE_MS`): its stuck thread burns a core meanwhile.
   */
  spentGraceMs?: number;
  /** The last stray output when the host exits, for the debug log. */
  onStray(tail: string, bytes: number): void;
}

/** What a run needs of its host process; one per process, shared by its runs. */
interface RunHooks {
  send(frame: ToHost): void;
  /** Arms the watchdog for `at` (performance.now() time) if it is armed later. */
  watch(at: number): void;
  /** The run ended: it is forgotten. */
  ended(id: number): void;
  startTimeoutMs: number;
}

/**
 * One execution in a host, until it ends. A class rather than closures: a run lives as long as
 * its request (most of it waiting), and what lives that long is what the young generation's
 * collections copy. It is its own abort listener (`handleEvent`): the caller going away cancels
 * it in the host.
 */
class Active implements EventListenerObject {
  /** When the watchdog kills the host if the run has not ended (performance.now() time). */
  watchAt = 0;
  watchWhy = "";
  /** Its MCP calls not yet answered (the worker's own count runs where the guest can reach it). */
  calls = 0;
  /** Bytes of its log frames so far: see `#onLog`. */
  logBytes = 0;
  /** What the host said of its start: nothing, `wait` (a worker is starting), then `started`. */
  said: "" | "wait" | "started" = "";

  constructor(
    readonly id: number,
    readonly host: ExecutionHost,
    readonly deadlineMs: number,
    /** What its log frames may add up to, past which the worker's own budget was evaded. */
    readonly maxLogBytes: number,
    readonly signal: AbortSignal | undefined,
    readonly hooks: RunHooks,
    readonly resolve: (outcome: HostOutcome) => void,
  ) {}

  /** The caller went away. */
  handleEvent(): void {
    this.hooks.send({ t: "cancel", id: this.id });
  }

  watch(ms: number, why: string): void {
    this.watchAt = performance.now() + ms;
    this.watchWhy = why;
    this.hooks.watch(this.watchAt);
  }

  /** The host has the run: from now on the watchdog allows its deadline. */
  started(): void {
    this.watch(this.deadlineMs, "the isolate host did not stop the execution at its deadline");
  }

  /** The run waits for a worker to start: the watchdog allows for the start. */
  waiting(): void {
    this.watch(
      Math.max(this.deadlineMs, this.hooks.startTimeoutMs),
      "the isolate host did not start the execution in time",
    );
  }

  finish(outcome: HostOutcome): void {
    this.signal?.removeEventListener("abort", this);
    this.hooks.ended(this.id);
    this.resolve(outcome);
  }
}

const OOM = /out of memory|heap limit|allocation failed/i;
const TOO_MANY_CALLS_REPLY = JSON.stringify({
  ok: false,
  code: "OVERLOADED",
  message: TOO_MANY_CALLS,
});
/** Stray output kept for the exit message (the tail of a V8 out-of-memory report). */
const TAIL_BYTES = 4096;
/** Frames for runs that have ended (or a second `ready`): a healthy host sends none. */
const NOTHING = "in frames that carry nothing (for runs that have ended)";
/** A frame embeds guest text as JSON inside JSON: escaping can grow it up to 6×. */
const FRAME_GROWTH = 6;
/** See `HostProcessOptions.spentGraceMs`. */
export const SPENT_GRACE_MS = 1_000;
const SPENT = "the app's isolate host was replaced: a worker it ended did not stop " +
  "(guest code stuck in a loop past its deadline)";

/**
 * Starts the host: Kiln itself, `kiln __isolate-host CONFIG`, with a V8 heap limit when run from
 * source (a compiled Kiln's V8 flags are fixed at compile time; the host's resident memory cap
 * bounds it either way).
 */
function spawnIsolateHost(opts: HostProcessOptions) {
  const config: HostConfig = {
    warm: opts.warm,
    maxWorkers: opts.maxWorkers,
    memoryMb: opts.memoryMb,
    idleWorkerMs: opts.idleWorkerMs,
    doneBatchBytes: DONE_BATCH_BYTES,
    ...HOST_MEMORY_CAP,
  };
  const v8 = [`--v8-flags=--max-old-space-size=${opts.memoryMb},--expose-gc`];
  return spawnHost(opts.command, "__isolate-host", v8, [JSON.stringify(config)]);
}

export class IsolateHostProcess {
  readonly #child: ChildProcess;
  readonly #channel: NonNullable<HostChannel>;
  readonly #decoder = new TextDecoder();
  readonly #active = new Map<number, Active>();
  readonly #sent = new Set<string>();
  readonly #strayBudget: number;
  readonly #tail = new Uint8Array(TAIL_BYTES);
  #tailAt = 0;
  #strayBytes = 0;
  #maxFrameBytes = FRAME_GROWTH * DEFAULT_LIMITS.maxOutputBytes + 65_536;
  #nextId = 1;
  /** Frames queued while a write is in flight; they go out together in the next. */
  #queue: string[] = [];
  #writing = false;
  #watchTimer: ReturnType<typeof setTimeout> | undefined;
  #watchAt = Infinity;
  #dead: string | null = null;
  #spent = false;
  #ready: PromiseWithResolvers<void> = Promise.withResolvers();
  #readied = false;
  /** Resolves when the process has exited and every run in it has ended. */
  readonly exited: Promise<void>;
  readonly #hooks: RunHooks;

  private constructor(
    readonly opts: HostProcessOptions,
    spawned: { child: ChildProcess; channel: HostChannel },
  ) {
    this.#hooks = {
      send: (frame) => this.#send(frame),
      watch: (at) => this.#watch(at),
      ended: (id) => {
        this.#active.delete(id);
        if (this.#active.size > 0) return;
        this.#unwatch();
        if (this.#spent) this.#end();
      },
      startTimeoutMs: opts.startTimeoutMs,
    };
    this.#strayBudget = opts.strayBytes ?? LIMITS["sandbox.stray_bytes"];
    this.#child = spawned.child;
    const status = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      this.#child.on("error", (err) => {
        this.#onStray(new TextEncoder().encode(err.message));
        resolve({ code: null, signal: null });
      });
      // `close`: the process has exited and its stdout and stderr are drained.
      this.#child.on("close", (code, signal) => resolve({ code, signal }));
    });
    const channel = spawned.channel;
    this.#channel = channel!;
    const frames = lineReader({
      prefix: new Uint8Array(0),
      maxFrameBytes: () => this.#maxFrameBytes,
      frame: (bytes) => this.#onFrame(bytes),
      stray: () => {},
      oversize: () =>
        this.#fault(`a frame of the isolate host exceeded ${this.#maxFrameBytes} bytes`),
    });
    channel?.on("error", () => {});
    channel?.on("data", frames);
    this.#child.stdout?.on("data", (bytes: Uint8Array) => this.#onStray(bytes));
    this.#child.stderr?.on("data", (bytes: Uint8Array) => this.#onStray(bytes));
    this.exited = status.then((status) => {
      const tail = this.#tailText();
      if (this.#strayBytes > 0) opts.onStray(tail, this.#strayBytes);
      const memory = status.code === MEMORY_EXIT_CODE || OOM.test(tail) ||
        status.signal === "SIGTRAP";
      this.#die(
        memory ? "memory" : "crash",
        `the isolate host exited (${status.signal ?? `code ${status.code}`})${
          tail ? `: ${tail.slice(-400)}` : ""
        }`,
      );
    });
  }

  /** Starts a host and waits until it answers. */
  static async start(opts: HostProcessOptions): Promise<IsolateHostProcess> {
    const host = new IsolateHostProcess(opts, await spawnIsolateHost(opts));
    await startedWithin(host.#ready.promise, opts.startTimeoutMs, () => host.kill());
    return host;
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  /**
   * A worker the host ended may still be running (see `FromHost` `spent`): the host takes no
   * more runs and ends once those it has are done, or after `spentGraceMs`.
   */
  get spent(): boolean {
    return this.#spent;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Runs one execution; past `deadlineMs` without an answer the whole host is killed. */
  run(
    spec: Omit<RunSpec, "id">,
    host: ExecutionHost,
    opts: { deadlineMs: number; waitMs: number; signal?: AbortSignal },
  ): Promise<HostOutcome> {
    if (this.#dead) {
      return Promise.resolve({ kind: "killed", reason: "crash", message: this.#dead });
    }
    const id = this.#nextId++;
    // Past the workers' count the host queues the run until a worker comes free: at the latest
    // once a run ahead of it has ended, by its deadline, and a fresh worker has started.
    const queuedMs = this.#active.size >= this.opts.maxWorkers ? this.#queueAllowance() : 0;
    const frameBytes = FRAME_GROWTH * spec.maxOutputBytes + 65_536;
    if (frameBytes > this.#maxFrameBytes) this.#maxFrameBytes = frameBytes;
    // The run holds what it needs until it ends, not its spec: the input (often the largest
    // object of a request) is garbage once its frame is written.
    const { promise, resolve } = Promise.withResolvers<HostOutcome>();
    const active = new Active(
      id,
      host,
      opts.deadlineMs,
      FRAME_GROWTH * spec.maxOutputBytes + 65_536,
      opts.signal,
      this.#hooks,
      resolve,
    );
    // Removed when the run finishes; a signal aborts once, so no `once` (its options object
    // costs a WebIDL conversion per run).
    opts.signal?.addEventListener("abort", active);
    this.#active.set(id, active);
    // A warm worker takes the run at once, so its deadline (plus the grace) bounds the wait; a
    // host that says the run waits for a worker to start is allowed the start timeout first.
    if (queuedMs > 0) {
      active.watch(
        opts.deadlineMs + queuedMs,
        "the isolate host did not start the execution in time",
      );
    } else active.started();
    const source = this.#sent.has(spec.hash) ? undefined : spec.source;
    this.#sent.add(spec.hash);
    this.#send({ t: "run", id, ...spec, source, waitMs: queuedMs > 0 ? opts.waitMs : undefined });
    if (opts.signal?.aborted) active.handleEvent();
    return promise;
  }

  /** How long a run the host queues may wait for a worker: see `run`. */
  #queueAllowance(): number {
    let last = performance.now();
    for (const active of this.#active.values()) last = Math.max(last, active.watchAt);
    return last - performance.now() + this.opts.startTimeoutMs;
  }

  /**
   * One watchdog timer per host, set for the earliest limit: runs that end early leave it armed,
   * and it re-arms for the next when it fires, so runs set no timer of their own.
   */
  #watch(at: number): void {
    if (at >= this.#watchAt) return;
    clearTimeout(this.#watchTimer);
    this.#watchAt = at;
    this.#watchTimer = setTimeout(() => this.#sweep(), Math.max(0, at - performance.now()));
  }

  #unwatch(): void {
    clearTimeout(this.#watchTimer);
    this.#watchTimer = undefined;
    this.#watchAt = Infinity;
  }

  #sweep(): void {
    this.#watchTimer = undefined;
    this.#watchAt = Infinity;
    const now = performance.now();
    for (const active of this.#active.values()) {
      if (active.watchAt > now) {
        this.#watch(active.watchAt);
        continue;
      }
      active.finish({ kind: "killed", reason: "timeout", message: active.watchWhy });
      this.kill();
    }
  }

  /** Stops the process at once; runs in it end with reason `crash` (or what was set before). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    // Our end of the channel too: a process that outlives the signal (the child of a wrapper
    // script) then sees the channel close and exits, and `close` is not left waiting on it.
    this.#channel?.destroy?.();
  }

  #send(frame: ToHost): void {
    if (this.#dead) return;
    this.#queue.push(`${JSON.stringify(frame)}\n`);
    if (this.#writing) return;
    // Each write to the channel costs a system call and a wake-up of the host, far more than its
    // bytes: the frames of every request handled in this turn of the event loop go out together.
    this.#writing = true;
    nodeTimers().setImmediate(this.#flushNow);
  }

  readonly #flushNow = () => this.#flush();

  #flush(): void {
    if (this.#queue.length === 0 || this.#dead) {
      this.#queue = [];
      this.#writing = false;
      return;
    }
    const text = this.#queue.length === 1 ? this.#queue[0] : this.#queue.join("");
    this.#queue = [];
    this.#writing = true;
    this.#channel.write(text, () => this.#flush());
  }

  #die(reason: "memory" | "crash" | "output", message: string): void {
    this.#dead ??= message;
    this.#ready.reject(
      new KilnError("TIER_UNAVAILABLE", `cannot start an isolate host: ${message}`),
    );
    this.#ready.promise.catch(() => {});
    for (const active of [...this.#active.values()]) {
      active.finish({ kind: "killed", reason, message });
    }
  }

  /** A spent host goes: runs still in it end with reason `crash`. */
  #end(): void {
    if (this.#dead) return;
    this.#die("crash", SPENT);
    this.kill();
  }

  /** The host broke the output contract: its runs end with reason `output`, it is killed. */
  #fault(message: string): void {
    if (this.#dead) return;
    this.#die("output", message);
    this.kill();
  }

  #onStray(bytes: Uint8Array): void {
    // A ring: each byte is copied at most once, however the output is cut into pieces.
    const keep = bytes.length > TAIL_BYTES ? bytes.subarray(bytes.length - TAIL_BYTES) : bytes;
    const first = Math.min(keep.length, TAIL_BYTES - this.#tailAt);
    this.#tail.set(keep.subarray(0, first), this.#tailAt);
    this.#tail.set(keep.subarray(first), 0);
    this.#tailAt = (this.#tailAt + keep.length) % TAIL_BYTES;
    this.#chargeStray(
      bytes.length,
      "outside its frames (guest code writing to stdout or stderr directly)",
    );
  }

  /** Output that serves no run, stray or in frames: the host's lifetime budget. */
  #chargeStray(bytes: number, what: string): void {
    this.#strayBytes += bytes;
    if (this.#strayBytes > this.#strayBudget) {
      this.#fault(`the isolate host wrote more than ${this.#strayBudget} bytes ${what}`);
    }
  }

  /**
   * `wait`, then `started`, each at most once: the host announces a run's start only when it
   * waited for a worker. Another would re-arm the run's watchdog for a whole deadline.
   */
  #onStart(active: Active, said: "wait" | "started"): void {
    if (active.said !== (said === "wait" ? "" : "wait")) {
      return this.#fault(`the isolate host sent "${said}" out of order for run ${active.id}`);
    }
    active.said = said;
    if (said === "wait") active.waiting();
    else active.started();
  }

  #tailText(): string {
    const t = this.#tail, at = this.#tailAt;
    const ordered = this.#strayBytes < TAIL_BYTES
      ? t.subarray(0, at)
      : new Uint8Array([...t.subarray(at), ...t.subarray(0, at)]);
    return this.#decoder.decode(ordered).trim();
  }

  /**
   * A guest's log line. The worker charges each line to the execution's output budget, but it
   * counts where guest code runs; Kiln counts the frames too, so a guest that got past that count
   * is stopped here (killed for `output`) before its lines cost Kiln more than a few budgets.
   */
  #onLog(active: Active, frame: FromHost & { t: "log" }, bytes: number): void {
    active.logBytes += bytes;
    if (active.logBytes <= active.maxLogBytes) return forwardLog(active.host, frame);
    this.#send({ t: "cancel", id: active.id });
    active.finish({
      kind: "killed",
      reason: "output",
      message: `its log lines passed ${active.maxLogBytes} bytes`,
    });
  }

  #onFrame(bytes: Uint8Array): void {
    let frame: FromHost;
    try {
      frame = JSON.parse(this.#decoder.decode(bytes));
    } catch {
      return this.#fault("the isolate host sent a frame that is not JSON");
    }
    if (frame.t === "ready") {
      if (this.#readied) return this.#chargeStray(bytes.length, NOTHING);
      this.#readied = true;
      return this.#ready.resolve();
    }
    if (frame.t === "spent") {
      if (this.#spent) return this.#chargeStray(bytes.length, NOTHING);
      this.#spent = true;
      if (this.#active.size === 0) return this.#end();
      const timer = setTimeout(() => this.#end(), this.opts.spentGraceMs ?? SPENT_GRACE_MS);
      return void this.exited.then(() => clearTimeout(timer));
    }
    if (frame.t === "batch") {
      if (!Array.isArray(frame.frames)) return this.#fault("the isolate host sent a bad batch");
      let ended = 0;
      for (const done of frame.frames) {
        if (done?.t !== "done") return this.#fault("the isolate host sent a bad batch");
        const active = this.#active.get(done.id);
        if (active) active.finish(done.outcome);
        else ended++;
      }
      if (ended > 0) this.#chargeStray(bytes.length, NOTHING);
      return;
    }
    const active = this.#active.get(frame.id);
    if (!active) return this.#chargeStray(bytes.length, NOTHING);
    if (frame.t === "done") return active.finish(frame.outcome);
    if (frame.t === "started" || frame.t === "wait") return this.#onStart(active, frame.t);
    if (frame.t === "log") return this.#onLog(active, frame, bytes.length);
    const { id, callId } = frame;
    if (active.calls >= MAX_CALLS_IN_FLIGHT) {
      return this.#send({ t: "reply", id, callId, reply: TOO_MANY_CALLS_REPLY });
    }
    active.calls++;
    void answerCall(active.host, frame.tool, frame.params).then((reply) => {
      active.calls--;
      if (this.#active.has(id)) this.#send({ t: "reply", id, callId, reply });
    });
  }
}
