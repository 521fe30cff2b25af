/**
 * Frames between the isolate tier (in Kiln) and an isolate host process, and between that host and
 * its workers. Kiln and the host exchange one JSON object per line on a channel of their own: a
 * socket at the host's fd 3 that its Deno runtime takes as Node's IPC channel (`process.send`,
 * `process.on("message")`, served by the event loop, not by the blocking-I/O threads stdio uses).
 * Only the host's main thread holds it: workers have no IPC (`process.send` throws there) and fd 3
 * is no resource of theirs, so a guest can neither forge nor corrupt a frame. Its stdout and stderr
 * carry nothing but stray output, which Kiln counts against a budget and never buffers. Guest values
 * cross as JSON text.
 */
import type { GuestLogLevel } from "../tier.ts";
import type { RunOutcome } from "../_outcome.ts";

/** One execution, as the host hands it to a worker. */
export interface RunSpec {
  id: number;
  /**
   * Who may share a warm worker: executions with the same key reuse one realm, others never do.
   * The component's id, or one key for the whole app when the app opted into `isolateReuse: app`.
   */
  realm: string;
  /** Content hash of the bundle; workers keep each module they imported by it. */
  hash: string;
  /** The `esm` bundle; omitted when Kiln already sent this hash to this host. */
  source?: string;
  entry: string;
  /** JSON text of `[requestData, context]`. */
  input: string;
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
  /**
   * Sent with a run Kiln sends past the workers' count: how long it may wait in the host for a
   * worker before the host answers it `overloaded` (what is left of its queue timeout).
   */
  waitMs?: number;
}

/** What a host process is started with (the argument of `hostMain`). */
export interface HostConfig {
  /** Workers started with the process. */
  warm: number;
  /** Workers alive at most (the app's concurrency cap); beyond it idle ones are retired. */
  maxWorkers: number;
  /** Each worker's memory limit (V8 heap plus array buffers), in MB. */
  memoryMb: number;
  /**
   * A worker beyond the `warm` ones that has been idle this long is retired: a burst leaves an app
   * with up to `maxWorkers` workers, each a V8 isolate and Deno runtime of ~12 MB.
   */
  idleWorkerMs: number;
  /** The host's resident memory cap: see `HOST_MEMORY_CAP`. */
  capBaseMb: number;
  capWorkerMb: number;
  /** `done` frames sent together in one `batch` frame stay under this many bytes (estimated). */
  doneBatchBytes: number;
}

/**
 * The bytes a host may put in one `batch` of `done` frames. Kiln accepts frames of 64 KiB past six
 * times the output cap, so a batch always fits; a `done` frame estimated larger goes alone.
 */
export const DONE_BATCH_BYTES = 65_536;

/**
 * The host's exit code when its resident memory passed its cap (see `HOST_MEMORY_CAP`): Kiln
 * reports the executions it was running as killed for `memory`.
 */
export const MEMORY_EXIT_CODE = 86;

/**
 * The resident memory a host may use before it ends itself, in MB: `capBaseMb` for the runtime
 * (about 30 MB measured), plus, per worker, `capWorkerMb` for its own runtime and V8's young
 * generation (about 10-25 MB measured), plus the memory limit while it runs, or what it held when
 * its last execution ended while it is idle. Workers retired since the resident memory was last under
 * that keep their share (their freed memory may stay resident), up to the cap of a host with every
 * worker busy. The backstop for guests that never yield; the precise check runs in the worker (see
 * `_worker_program.ts`).
 */
export const HOST_MEMORY_CAP = { capBaseMb: 64, capWorkerMb: 64 } as const;

/**
 * How a run in a host ended: as any in-process run, or `overloaded` — it waited in the host for a
 * worker past its `waitMs` and never started.
 */
export type HostOutcome = RunOutcome | { kind: "overloaded" };

/** Kiln → host. */
export type ToHost =
  | ({ t: "run" } & RunSpec)
  | { t: "reply"; id: number; callId: number; reply: string }
  | { t: "cancel"; id: number };

/** Host → Kiln (and worker → host, which forwards `call`, `log` and `done` as they are). */
export type FromHost =
  | { t: "ready" }
  /**
   * The execution waits for a worker to start: until `started`, Kiln's watchdog allows the start
   * timeout. An execution given a warm worker has neither frame: its deadline runs from `run`.
   */
  | { t: "wait"; id: number }
  | { t: "started"; id: number }
  | { t: "call"; id: number; callId: number; tool: string; params?: string }
  | {
    t: "log";
    id: number;
    level: GuestLogLevel;
    message: string;
    fields?: string;
    source: "sdk" | "console";
  }
  /**
   * `retire`: the worker ran work left over from an earlier execution; it must not be reused.
   * `held`: bytes of heap, array buffers and wasm memories the worker held when the run ended.
   */
  | { t: "done"; id: number; outcome: HostOutcome; retire?: true; held?: number }
  /**
   * A worker the host ended did not answer: its thread may be stuck in a loop `terminate()`
   * cannot stop, so the process must go. Kiln sends it no more runs and ends it once they are done.
   */
  | { t: "spent" }
  /** `done` frames of runs that ended in the same turn of the host's event loop. */
  | { t: "batch"; frames: { t: "done"; id: number; outcome: HostOutcome }[] };
