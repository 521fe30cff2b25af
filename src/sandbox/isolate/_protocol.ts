/**
 * Frames between the isolate tier (in Kiln) and an isolate host process, and between that host and
 * its workers. Kiln writes one JSON object per line to the host's stdin; the host answers one per
 * line on stdout, each prefixed with the nonce Kiln gave it, so stray output a guest manages to
 * write to the shared stdout can never be mistaken for a frame. Guest values cross as JSON text.
 */
import type { GuestLogLevel } from "../tier.ts";
import type { RunOutcome } from "../_outcome.ts";

/** One execution, as the host hands it to a worker. */
export interface RunSpec {
  id: number;
  /** Content hash of the bundle; workers keep each module they imported by it. */
  hash: string;
  /** The `esm` bundle; omitted when Kiln already sent this hash to this host. */
  source?: string;
  entry: string;
  /** JSON text of `[requestData, context]`. */
  input: string;
  timeoutMs: number;
  maxOutputBytes: number;
}

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
  | { t: "done"; id: number; outcome: RunOutcome };
