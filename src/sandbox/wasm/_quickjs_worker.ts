/**
 * Entry point of a wasm-tier worker (a Deno worker with no permissions). It keeps QuickJS wasm
 * instances loaded, one per memory limit in use, each with a prepared runtime and context and the
 * memory image it is reset to (`_guest_snapshot.ts`), and runs one execution at a time, each from
 * that image. MCP calls go out to the main thread as messages and their replies come back the
 * same way.
 *
 * Runs and their results mostly travel through two shared rings (`_shared_ring.ts`): between runs
 * the worker blocks in `Atomics.wait` on its inbound ring, so a run costs no event-loop task and no
 * structured clone on either thread. It leaves the wait at least every `IDLE_SLICE_MS`, and after
 * `YIELD_EVERY` runs in a row, to let its event loop run (late messages, timers, a terminate).
 */
import { DEFAULT_LIMITS } from "../tier.ts";
import { GuestRun } from "./_guest_run.ts";
import type { GuestOutcome, GuestSpec, HostToWorker, WorkerToHost } from "./_protocol.ts";
import { SourceMirror } from "./_source_mirror.ts";
import { SharedRing } from "./_shared_ring.ts";
import { readHostRecord, writeDone } from "./_ring_codec.ts";

type HostToWorkerRun = Extract<HostToWorker, { type: "run" }>;
import { GuestSnapshot } from "./_guest_snapshot.ts";

/** Instances kept per worker; each holds a linear memory sized for one memory limit. */
const MAX_INSTANCES = 3;
/** The longest the worker blocks waiting for a run before its event loop gets a turn. */
const IDLE_SLICE_MS = 250;
/** Runs taken from the ring in a row before the event loop gets a turn. */
const YIELD_EVERY = 64;

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
/** The host's claim cell: the id of a queued run until taken, its negation once withdrawn. */
let claim: Int32Array | null = null;
let rings: { toWorker: SharedRing; toHost: SharedRing } | null = null;
/** Whether QuickJS is loaded: until then the worker must not block its event loop. */
let loaded = false;

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
  // Once anything of this run went by message, so does its end: the host sees them in order.
  let posted = false;
  const send = (message: WorkerToHost) => (posted = true, port.postMessage(message));
  const cancelled = () => cancelFlag !== null && Atomics.load(cancelFlag, 0) === id;
  const cold = !ready.has(spec.memoryMb);
  if (cold) send({ type: "loading", id });
  const loading = instanceFor(spec.memoryMb);
  try {
    snapshot = await loading;
    ready.add(spec.memoryMb);
    guest = new GuestRun(snapshot, spec, {
      call: (callId, tool, params, logs) => send({ type: "call", id, callId, tool, params, logs }),
      cancelled,
    });
    current = { id, guest };
    // A `cancel` message can overtake a run that came through the ring.
    if (cancelled()) guest.cancel();
    if (cold) {
      // The host's watchdog runs from the deadline again only once this message is out; a
      // guest stuck in one long host call would hold it back otherwise.
      send({ type: "started", id });
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
  const logs = guest?.takeLogs() ?? [];
  if (posted || !rings || !writeDone(rings.toHost, { id, outcome, logs })) {
    port.postMessage({ type: "done", id, outcome, logs });
  }
  // Off the response's path, and before the worker idles: nothing of this run stays in memory.
  if (snapshot && !snapshot.reset()) drop(spec.memoryMb, loading);
}

/**
 * Claims a run from the ring: false when the host withdrew it (the claim cell holds its negated
 * id), which then clears the cell for the next queued run.
 */
function take(id: number): boolean {
  if (!claim) return true;
  const seen = Atomics.compareExchange(claim, 0, id, 0);
  if (seen !== -id) return true;
  Atomics.store(claim, 0, 0);
  return false;
}

/** Runs that came by message, taken when the ring's `posted` records say (in that order). */
const postedRuns: HostToWorkerRun[] = [];
/** `posted` records read whose run has not been taken yet. */
let announced = 0;
/** `serve` is running (it may be blocked in `Atomics.wait` or awaiting a run). */
let serving = false;
let scheduled = false;

/** Starts `serve` unless it is running or about to. */
function resume(): void {
  if (!serving && !scheduled && rings && loaded) void serve(rings.toWorker);
}

/** Gives the event loop a turn, then serves again. */
function yieldThenServe(): void {
  scheduled = true;
  setTimeout(() => (scheduled = false, resume()), 0);
}

/** Takes runs from the ring (and, where it says so, from messages) one at a time. */
async function serve(ring: SharedRing): Promise<void> {
  serving = true;
  try {
    for (let runs = 0; !ring.closed; runs++) {
      if (announced > 0) {
        const next = postedRuns.shift();
        if (!next) return; // its message has not been handled yet: `onmessage` resumes
        announced--;
        await run(next.id, next.spec);
        continue;
      }
      if (runs >= YIELD_EVERY) return yieldThenServe();
      const seen = ring.signal();
      const record = ring.read();
      if (!record) {
        if (!ring.waitSync(seen, IDLE_SLICE_MS)) return yieldThenServe();
        runs--;
        continue;
      }
      const next = readHostRecord(record);
      if ("posted" in next) {
        announced++;
        runs--;
        continue;
      }
      if (!take(next.id)) {
        // Withdrawn while queued: it runs elsewhere. The source list still moves as the host's did.
        if (next.spec.key !== undefined) sources.touch(next.spec.key);
        continue;
      }
      await run(next.id, next.spec);
    }
  } finally {
    serving = false;
  }
}

port.onmessage = ({ data }) => {
  if (data.type === "run") {
    postedRuns.push(data);
    resume();
  } else if (data.type === "reply" && current?.id === data.id) {
    current.guest.deliver(data.callId, data.reply);
  } else if (data.type === "cancel" && current?.id === data.id) current.guest.cancel();
  else if (data.type === "init") {
    cancelFlag = new Int32Array(data.cancel);
    claim = new Int32Array(data.claim);
    rings = { toWorker: new SharedRing(data.toWorker), toHost: new SharedRing(data.toHost) };
    resume();
  }
};

try {
  await instanceFor(DEFAULT_LIMITS.memoryMb);
  ready.add(DEFAULT_LIMITS.memoryMb);
  loaded = true;
  port.postMessage({ type: "ready" });
  resume();
} catch (err) {
  port.postMessage({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
}
