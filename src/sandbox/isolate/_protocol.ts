/**
 * Frames between the isolate tier (in Kiln) and an isolate host process, and between that host and
 * its workers. A frame is one line: a JSON header, then, for frames that carry guest JSON text (an
 * execution's input, a result, a reply, call parameters, log fields), a tab and that text as it
 * is. JSON text never holds a raw tab or newline, so neither needs escaping and no guest value is
 * encoded twice. Kiln writes frames to the host's stdin; the host answers on stdout, each frame
 * prefixed with the nonce Kiln gave it (and preceded by a newline, so stray bytes a guest wrote
 * without one end before the frame starts), so stray output a guest manages to write to the
 * shared stdout can never be mistaken for a frame. A result carries its byte length, so stray
 * bytes that land inside one are caught. Writes queued while one is in flight go out together.
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
  /** JSON text of `[requestData, context]` (the frame's payload). */
  input: string;
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
}

/** What a host process is started with (the argument of `hostMain`). */
export interface HostConfig {
  nonce: string;
  /** Workers started with the process. */
  warm: number;
  /** Workers alive at most (the app's concurrency cap); beyond it idle ones are retired. */
  maxWorkers: number;
  /** Each worker's memory limit (V8 heap plus array buffers), in MB. */
  memoryMb: number;
  /** The host's resident memory cap: see `HOST_MEMORY_CAP`. */
  capBaseMb: number;
  capWorkerMb: number;
}

/**
 * The host's exit code when its resident memory passed its cap (see `HOST_MEMORY_CAP`): Kiln
 * reports the executions it was running as killed for `memory`.
 */
export const MEMORY_EXIT_CODE = 86;

/**
 * The resident memory a host may use before it ends itself, in MB: `capBaseMb` for the runtime
 * (about 30 MB measured), plus, per worker, `capWorkerMb` for its own runtime and V8's young
 * generation (about 10-25 MB measured), plus the memory limit while it runs, or what it held when
 * its last execution ended while it is idle. The backstop for guests that never yield; the precise
 * check runs in the worker (see `_worker_program.ts`).
 */
export const HOST_MEMORY_CAP = { capBaseMb: 64, capWorkerMb: 64 } as const;

/** Kiln → host headers; `run` carries the input as payload, `reply` the reply's JSON text. */
export type ToHost =
  | ({ t: "run" } & Omit<RunSpec, "input">)
  | { t: "reply"; id: number; callId: number }
  | { t: "cancel"; id: number };

/** Host → Kiln headers. */
export type FromHost =
  | { t: "ready" }
  /**
   * The execution waits for a worker to start: until `started`, Kiln's watchdog allows the start
   * timeout. An execution given a warm worker has neither frame: its deadline runs from `run`.
   */
  | { t: "wait"; id: number }
  | { t: "started"; id: number }
  /** Payload: the parameters' JSON text, if any. */
  | { t: "call"; id: number; callId: number; tool: string }
  /** Payload: the fields' JSON text, if any. */
  | { t: "log"; id: number; level: GuestLogLevel; message: string; source: "sdk" | "console" }
  /** An `ok` result is the payload, `n` its length in bytes; any other outcome is in the header. */
  | { t: "done"; id: number; n: number }
  | { t: "done"; id: number; outcome: Exclude<RunOutcome, { kind: "ok" }> };

/** Worker → host: `call` and `log` as Kiln gets them, with their JSON text beside the header. */
export type FromWorker =
  | { t: "ready" }
  /** Work left over from an ended execution ran on the idle worker: retire it. */
  | { t: "stale" }
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
   * `json`: an `ok` result as UTF-8 (transferred, not copied). `retire`: the worker ran work left
   * over from an earlier execution; it must not be reused. `held`: bytes of heap, array buffers
   * and wasm memories the worker held when the run ended.
   */
  | {
    t: "done";
    id: number;
    outcome: { kind: "ok" } | Exclude<RunOutcome, { kind: "ok" }>;
    json?: Uint8Array;
    retire?: true;
    held?: number;
  };
