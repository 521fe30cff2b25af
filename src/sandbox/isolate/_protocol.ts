/**
 * Frames between the isolate tier (in Kiln) and an isolate host process, and between that host and
 * its workers. Kiln writes one JSON object per line to the host's stdin; the host answers one per
 * line on stdout, each prefixed with the nonce Kiln gave it (and preceded by a newline, so stray
 * bytes a guest wrote without one end before the frame starts), so stray output a guest manages
 * to write to the shared stdout can never be mistaken for a frame. Guest values cross as JSON
 * text.
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

/** Kiln → host. */
export type ToHost =
  | ({ t: "run" } & RunSpec)
  | { t: "reply"; id: number; callId: number; reply: string }
  | { t: "cancel"; id: number };

/** Host → Kiln (and worker → host, which forwards `call`, `log` and `done` as they are). */
export type FromHost =
  | { t: "ready" }
  /** The worker has the execution; its deadline runs from now. */
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
  | { t: "done"; id: number; outcome: RunOutcome; retire?: true; held?: number };
