/**
 * Entry point of a wasm-tier worker (a Deno worker with no permissions). It keeps QuickJS wasm
 * instances loaded, one per memory limit in use, each with a prepared runtime and context and the
 * memory image it is reset to (`_guest_snapshot.ts`), and runs one execution at a time, each from
 * that image. MCP calls go out to the main thread as messages and their replies come back the
 * same way.
 */
import { DEFAULT_LIMITS } from "../tier.ts";
import { GuestRun } from "./_guest_run.ts";
import type { GuestOutcome, GuestSpec, HostToWorker, WorkerToHost } from "./_protocol.ts";
import { SourceMirror } from "./_source_mirror.ts";

type HostToWorkerRun = Extract<HostToWorker, { type: "run" }>;
import { GuestSnapshot } from "./_guest_snapshot.ts";

/** Instances kept per worker; each holds a linear memory sized for one memory limit. */
const MAX_INSTANCES = 3;

const port = self as unknown as {
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
  postMessage(message: WorkerToHost): void;
};
const instances = new Map<number, Promise<GuestSnapshot>>();
/** Memory limits whose instance has finished loading (a run on them starts at once). */
const ready = new Set<number>();
let current: { id: number; guest: GuestRun } | null = null;
/** The host's cancel cell (see `HostToWorker`): holds the id of a run it cancelled. */
let cancelFlag: Int32Array | null = null;

function instanceFor(memoryMb: number): Promise<GuestSnapshot> {
  const found = instances.get(memoryMb);
  if (found) {
    instances.delete(memoryMb);
    instances.set(memoryMb, found);
    return found;
  }
  const created = GuestSnapshot.create(memoryMb);
  created.catch(() => instances.get(memoryMb) === created && instances.delete(memoryMb));
  ready.delete(memoryMb);
  instances.set(memoryMb, created);
  for (const key of instances.keys()) {
    if (instances.size <= MAX_INSTANCES) break;
    instances.delete(key);
    ready.delete(key);
  }
  return created;
}

/** Forgets the instance for `memoryMb` if it is still `which`: the next run loads a fresh one. */
function drop(memoryMb: number, which: Promise<GuestSnapshot>): void {
  if (instances.get(memoryMb) !== which) return;
  instances.delete(memoryMb);
  ready.delete(memoryMb);
}

/** The bundle sources this worker holds, mirrored by the host (see `_source_mirror.ts`). */
const sources = new SourceMirror<string>();

/** The run's spec with its source, from the message or from what the worker holds. */
function withSource(spec: HostToWorkerRun["spec"]): GuestSpec | null {
  const { key, source } = spec;
  if (source === undefined) {
    const held = key === undefined ? undefined : sources.touch(key);
    return held === undefined ? null : { ...spec, source: held };
  }
  if (key !== undefined) sources.hold(key, source);
  return { ...spec, source };
}

async function run(id: number, message: HostToWorkerRun["spec"]): Promise<void> {
  const spec = withSource(message);
  if (!spec) {
    const outcome: GuestOutcome = {
      kind: "killed",
      reason: "crash",
      message: "the QuickJS worker does not hold the bundle it was asked to run",
    };
    port.postMessage({ type: "done", id, outcome, logs: [] });
    return;
  }
  let outcome: GuestOutcome;
  let guest: GuestRun | undefined;
  let snapshot: GuestSnapshot | undefined;
  const cold = !ready.has(spec.memoryMb);
  if (cold) port.postMessage({ type: "loading", id });
  const loading = instanceFor(spec.memoryMb);
  try {
    snapshot = await loading;
    ready.add(spec.memoryMb);
    guest = new GuestRun(snapshot, spec, {
      call: (callId, tool, params, logs) =>
        port.postMessage({ type: "call", id, callId, tool, params, logs }),
      cancelled: () => cancelFlag !== null && Atomics.load(cancelFlag, 0) === id,
    });
    current = { id, guest };
    if (cold) {
      // The host's watchdog runs from the deadline again only once this message is out; a
      // guest stuck in one long host call would hold it back otherwise.
      port.postMessage({ type: "started", id });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    outcome = await guest.run();
  } catch (err) {
    const message = `the QuickJS worker failed: ${err instanceof Error ? err.message : err}`;
    outcome = { kind: "killed", reason: "crash", message, recycle: true };
  }
  if (outcome.recycle) {
    snapshot = undefined;
    drop(spec.memoryMb, loading);
  }
  current = null;
  port.postMessage({ type: "done", id, outcome, logs: guest?.takeLogs() ?? [] });
  // Off the response's path, and before the worker idles: nothing of this run stays in memory.
  if (snapshot && !snapshot.reset()) drop(spec.memoryMb, loading);
}

port.onmessage = ({ data }) => {
  if (data.type === "run") void run(data.id, data.spec);
  else if (data.type === "reply" && current?.id === data.id) {
    current.guest.deliver(data.callId, data.reply);
  } else if (data.type === "cancel" && current?.id === data.id) current.guest.cancel();
  else if (data.type === "cancelFlag") cancelFlag = new Int32Array(data.buffer);
};

try {
  await instanceFor(DEFAULT_LIMITS.memoryMb);
  ready.add(DEFAULT_LIMITS.memoryMb);
  port.postMessage({ type: "ready" });
} catch (err) {
  port.postMessage({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
}
