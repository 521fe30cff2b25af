/**
 * Messages between the wasm tier (Kiln's main thread) and its QuickJS workers. Guest values cross
 * as JSON text, so the worker never parses what it only forwards and the host parses once.
 */

/** What the worker needs to run one execution from its QuickJS snapshot. */
export interface GuestSpec {
  /**
   * The `iife` bundle: a script that assigns the module namespace to `globalThis.__kilnModule`.
   * Left out of a `run` message when the worker already holds it under `key` (`_source_mirror.ts`).
   */
  source: string;
  /**
   * The bundle's content hash. With it the worker keeps the state right after the bundle's top
   * level ran and starts later executions of the same bundle from there (`_guest_snapshot.ts`).
   */
  key?: string;
  entry: string;
  /** JSON text of `[requestData, context]`. */
  input: string;
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
}

export type { GuestLogLine } from "../_guest_io.ts";
import type { GuestLogLine } from "../_guest_io.ts";

/** Why the worker stopped a guest: the host turns these into EXECUTION_TIMEOUT or SANDBOX_KILLED. */
export type GuestKillReason = "timeout" | "memory" | "stack" | "output" | "crash";

/**
 * How one execution ended. `recycle` says the worker dropped the run's wasm instance instead of
 * restoring its snapshot: it may be corrupt (a host-level trap) or hold a heap grown by a memory
 * bomb.
 */
export type GuestOutcome =
  | { kind: "ok"; json: string; recycle?: boolean }
  | { kind: "error"; code: string; message: string; recycle?: boolean }
  | { kind: "killed"; reason: GuestKillReason; message: string; recycle?: boolean };

/** JSON text the guest's `mcp.call` receives: the tool's result or its Kiln error. */
export type CallReply = { ok: true; value?: unknown } | {
  ok: false;
  code: string;
  message: string;
};

export type HostToWorker =
  /**
   * Sent once, first. `cancel`: a shared 32-bit cell the host sets to a run's id to cancel it; the
   * guest's interrupt handler reads it, so a guest busy in a loop stops without the worker being
   * ended. `toWorker` and `toHost`: the two `SharedRing`s that carry most runs and their results
   * (`_ring_codec.ts`); a `run` message is announced by a `posted` record in `toWorker`.
   */
  | {
    type: "init";
    cancel: SharedArrayBuffer;
    /**
     * A shared 32-bit cell: the id of a run queued behind another until the worker takes it (and
     * sets 0), or its negation once the host withdrew it (the worker then skips it and sets 0).
     */
    claim: SharedArrayBuffer;
    toWorker: SharedArrayBuffer;
    toHost: SharedArrayBuffer;
  }
  | { type: "run"; id: number; spec: Omit<GuestSpec, "source"> & { source?: string } }
  | { type: "reply"; id: number; callId: number; reply: string }
  /** The caller went away: stop the run (it may also be waiting on a reply, not interruptible). */
  | { type: "cancel"; id: number };

export type WorkerToHost =
  | { type: "ready" }
  | { type: "fatal"; message: string }
  /** A QuickJS instance for this run's memory limit is loading (bounded by the start timeout). */
  | { type: "loading"; id: number }
  /** The instance is loaded and the guest's deadline clock runs from now. */
  | { type: "started"; id: number }
  | {
    type: "call";
    id: number;
    callId: number;
    tool: string;
    params?: string;
    logs: GuestLogLine[];
  }
  | { type: "done"; id: number; outcome: GuestOutcome; logs: GuestLogLine[] };
