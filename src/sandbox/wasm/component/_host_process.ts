/**
 * Kiln's handle on one app's component host process (`_host_program.ts`): starts it the way isolate
 * hosts start (Kiln itself, `kiln __component-host`, which drops every permission first; a cleared
 * environment; from source no remote or npm modules), and gives the runner `RemoteWorker`s that
 * behave like the workers they stand for. Frames travel on a channel only the host's main thread
 * holds, read in constant work per byte and bounded by the largest a run may legitimately send;
 * stdout and stderr are stray output, counted against `sandbox.stray_bytes`, never buffered.
 * A host that breaks either bound is killed, and its workers die with it.
 *
 * Spent: a worker the host ended did not answer, so its thread may be stuck in a loop that only
 * the process's end stops (ADR 0037). The host then takes no new workers; it ends once its running
 * ones are done, or after `spentGraceMs`.
 */
import type { ChildProcess } from "node:child_process";
import { type ChildCommand, KilnError, LIMITS } from "../../../core/mod.ts";
import { nodeTimers } from "../../../core/node/mod.ts";
import { lineReader } from "../../_line_reader.ts";
import { type HostChannel, spawnHost, startedWithin } from "../../_host_spawn.ts";

export interface ComponentHostOptions {
  command: ChildCommand;
  startTimeoutMs: number;
  /** Stray bytes the host may write in its life (default `LIMITS["sandbox.stray_bytes"]`). */
  strayBytes?: number;
  /** How long a spent host may finish its running workers' runs (default 1 s). */
  spentGraceMs?: number;
}

/** A frame carries a run's text as JSON inside JSON: escaping can grow it up to 6×. */
const FRAME_GROWTH = 6;
const SPENT = "the app's component host was replaced: a worker it ended did not stop " +
  "(a component stuck in a loop past its deadline)";

// deno-lint-ignore no-explicit-any
type Message = any;

/** One worker in the host, as the runner sees it: a `Worker` without the thread. */
export class RemoteWorker {
  onmessage: ((message: Message) => void) | null = null;
  onerror: ((message: string) => void) | null = null;
  /** A run was posted and its `done` has not come back. */
  running = false;
  /** The output budget of its last run, in bytes. */
  outputBytes = 0;
  #ended = false;

  constructor(readonly host: ComponentHost, readonly id: number) {}

  postMessage(message: Message): void {
    if (this.#ended) return;
    if (message.type === "run") {
      this.running = true;
      this.outputBytes = message.maxOutputBytes;
      this.host.allowFrames(FRAME_GROWTH * message.maxOutputBytes + 65_536);
    }
    this.host.send({ t: "post", w: this.id, m: message });
  }

  terminate(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.host.ended(this);
    this.running = false;
  }

  /** From the host: a message of the worker. */
  receive(message: Message): void {
    if (this.#ended) return;
    if (message?.type === "done") this.running = false;
    this.onmessage?.(message);
  }

  /** From the host: the worker, or the whole host, died. */
  fail(message: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.running = false;
    this.onerror?.(message);
  }
}

export class ComponentHost {
  readonly #child: ChildProcess;
  readonly #channel: HostChannel;
  readonly #decoder = new TextDecoder();
  readonly #workers = new Map<number, RemoteWorker>();
  readonly #sent = new Set<string>();
  readonly #strayBudget: number;
  readonly #ready = Promise.withResolvers<void>();
  #queue: string[] = [];
  #readied = false;
  #strayBytes = 0;
  /** What runs ended mid-way may still have had in flight: see `ended`. */
  #strayAllowance = 0;
  #maxFrameBytes = 65_536;
  #nextId = 1;
  #dead: string | null = null;
  #spent = false;
  /** Resolves once the process has exited and every worker in it has failed. */
  readonly exited: Promise<void>;

  private constructor(
    readonly opts: ComponentHostOptions,
    spawned: { child: ChildProcess; channel: HostChannel },
  ) {
    this.#strayBudget = opts.strayBytes ?? LIMITS["sandbox.stray_bytes"];
    this.#child = spawned.child;
    this.#channel = spawned.channel;
    this.#ready.promise.catch(() => {});
    const status = new Promise<string>((resolve) => {
      this.#child.on("error", (err) => resolve(err.message));
      this.#child.on("close", (code, signal) => resolve(signal ?? `code ${code}`));
    });
    const frames = lineReader({
      prefix: new Uint8Array(0),
      maxFrameBytes: () => this.#maxFrameBytes,
      frame: (bytes) => this.#onFrame(bytes),
      stray: () => {},
      oversize: () =>
        this.#fault(`a frame of the component host exceeded ${this.#maxFrameBytes} bytes`),
    });
    this.#channel?.on("error", () => {});
    this.#channel?.on("data", frames);
    const stray = (bytes: Uint8Array) => this.#stray(bytes.length);
    this.#child.stdout?.on("data", stray);
    this.#child.stderr?.on("data", stray);
    this.exited = status.then((how) => this.#die(`the component host exited (${how})`));
  }

  /** Starts a host and waits until it answers. */
  static async start(opts: ComponentHostOptions): Promise<ComponentHost> {
    const spawned = await spawnHost(opts.command, "__component-host", [], []);
    const host = new ComponentHost(opts, spawned);
    await startedWithin(host.#ready.promise, opts.startTimeoutMs, () => host.kill());
    return host;
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  /** A worker it ended may still run: it takes no new workers (see the module's comment). */
  get spent(): boolean {
    return this.#spent;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** A worker for the component `key`; `code` is asked for only the first time on this host. */
  worker(
    key: string,
    code: () => { js: string; cores: Record<string, Uint8Array> },
  ): RemoteWorker {
    const worker = new RemoteWorker(this, this.#nextId++);
    if (this.#dead) {
      queueMicrotask(() => worker.fail(this.#dead!));
      return worker;
    }
    if (this.#sent.has(key)) {
      this.#workers.set(worker.id, worker);
      this.send({ t: "spawn", w: worker.id, key });
      return worker;
    }
    const { js, cores } = code();
    const text: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(cores)) text[name] = bytes.toBase64();
    this.#sent.add(key);
    this.#workers.set(worker.id, worker);
    this.send({ t: "spawn", w: worker.id, key, js, cores: text });
    return worker;
  }

  /** Frames of runs whose output budget is `bytes` may come. */
  allowFrames(bytes: number): void {
    if (bytes > this.#maxFrameBytes) this.#maxFrameBytes = bytes;
  }

  send(frame: unknown): void {
    if (this.#dead) return;
    // The frames of one turn of the event loop go out in one write.
    if (this.#queue.length === 0) nodeTimers().setImmediate(this.#flush);
    this.#queue.push(`${JSON.stringify(frame)}\n`);
  }

  readonly #flush = () => {
    const text = this.#queue.length === 1 ? this.#queue[0] : this.#queue.join("");
    this.#queue = [];
    if (!this.#dead) this.#channel?.write(text);
  };

  /**
   * The runner is done with `worker`. One ended mid-run may have frames in flight until the host
   * takes the `end`, up to its run's output budget: they count as stray output, which that much
   * more is allowed.
   */
  ended(worker: RemoteWorker): void {
    if (worker.running) this.#strayAllowance += FRAME_GROWTH * worker.outputBytes + 65_536;
    if (this.#workers.delete(worker.id)) this.send({ t: "end", w: worker.id });
    this.#settle();
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    this.#channel?.destroy?.();
  }

  /** A spent host goes once no worker of it runs. */
  #settle(): void {
    if (!this.#spent || this.#dead) return;
    for (const worker of this.#workers.values()) if (worker.running) return;
    this.#die(SPENT);
    this.kill();
  }

  #die(message: string): void {
    this.#dead ??= message;
    this.#ready.reject(
      new KilnError("TIER_UNAVAILABLE", `cannot start a component host: ${message}`),
    );
    for (const worker of [...this.#workers.values()]) worker.fail(this.#dead);
    this.#workers.clear();
  }

  #fault(message: string): void {
    if (this.#dead) return;
    this.#die(message);
    this.kill();
  }

  #stray(bytes: number): void {
    this.#strayBytes += bytes;
    if (this.#strayBytes > this.#strayBudget + this.#strayAllowance) {
      this.#fault(`the component host wrote more than ${this.#strayBudget} bytes of stray output`);
    }
  }

  #onFrame(bytes: Uint8Array): void {
    let frame: Message;
    try {
      frame = JSON.parse(this.#decoder.decode(bytes));
    } catch {
      return this.#fault("the component host sent a frame that is not JSON");
    }
    if (frame?.t === "ready" && !this.#readied) {
      return (this.#readied = true, this.#ready.resolve());
    }
    if (frame?.t !== "batch") {
      if (!this.#onOne(frame)) this.#stray(bytes.length);
      return;
    }
    if (!Array.isArray(frame.frames)) return this.#fault("the component host sent a bad batch");
    let idle = false;
    for (const one of frame.frames) {
      if (this.#dead) return;
      if (one?.t === "batch") return this.#fault("the component host sent a bad batch");
      if (!this.#onOne(one)) idle = true;
    }
    // A batch that carried anything for nothing costs all its bytes.
    if (idle) this.#stray(bytes.length);
  }

  /** One frame; false if it carried nothing (it serves no worker, or repeats `spent`). */
  #onOne(frame: Message): boolean {
    if (frame?.t === "spent") {
      if (this.#spent) return false;
      this.#spent = true;
      const timer = setTimeout(() => {
        this.#die(SPENT);
        this.kill();
      }, this.opts.spentGraceMs ?? 1_000);
      void this.exited.then(() => clearTimeout(timer));
      this.#settle();
      return true;
    }
    const worker = this.#workers.get(frame?.w);
    // A worker already ended: its last frames carry nothing.
    if (!worker) return false;
    if (frame.t === "msg") {
      worker.receive(frame.m);
      // A spent host goes once its last run is done.
      if (frame.m?.type === "done") this.#settle();
    } else if (frame.t === "error") {
      this.#workers.delete(worker.id);
      worker.fail(String(frame.message));
      this.#settle();
    }
    return true;
  }
}
