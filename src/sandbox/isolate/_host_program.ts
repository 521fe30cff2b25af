// deno-lint-ignore-file no-explicit-any
/**
 * The isolate host: Kiln itself (`kiln __isolate-host`, `child.ts`) with every permission dropped
 * and a V8 heap limit, holding one app's warm workers. It takes frames from Kiln on its frame
 * channel (see `_protocol.ts`), runs each execution on an idle worker of the same realm (a
 * component, unless the app shares one realm across components) — or, with every worker busy, keeps
 * it waiting for the next worker to come free (ADR 0034) — enforces the deadline by terminating the
 * worker, and sends the workers' frames back on the channel.
 *
 * Memory: V8's heap limit does not cover array buffers or WebAssembly memories, so while workers
 * run the main thread samples the process's resident memory every 10 ms (every 250 ms when idle)
 * and ends the whole process past a cap derived from its workers' limits (`HOST_MEMORY_CAP`), with
 * an exit code that tells Kiln to report its runs as killed for `memory`. A heap overflow in any worker also
 * takes the process down. Either way the blast radius is this app's process, never Kiln; Kiln sees
 * the exit and starts a fresh host.
 *
 * Runs once `src/child_main.ts` has dropped every permission; it refuses to run with any left.
 */
import type { HostConfig } from "./_protocol.ts";
import { endWorker } from "../_end_worker.ts";

export async function hostMain(
  config: HostConfig,
  workerSource: string,
  memoryExitCode: number,
): Promise<void> {
  const encoder = new TextEncoder();
  const memoryUsage = Deno.memoryUsage;
  // Fail closed: a host started with any permission (a changed launcher, a wrong flag) stops here.
  for (const name of ["read", "write", "net", "env", "run", "ffi", "sys"] as const) {
    if (Deno.permissions.querySync({ name }).state !== "granted") continue;
    Deno.stderr.writeSync(
      encoder.encode(`kiln isolate host: refusing to run with ${name} access\n`),
    );
    Deno.exit(1);
  }
  // The frame channel: Node's IPC on the fd Kiln opened for it. Only this thread has it.
  const channel = (await import("node:process")).default as any;
  const send = (frame: unknown) => channel.send(frame);
  const { setImmediate } = await import("node:timers");
  // `done` frames of runs that end in one turn of the event loop leave in one message (one write
  // for the host, one read and parse for Kiln), up to `doneBatchBytes`; a larger one goes alone.
  let batch: unknown[] = [];
  let batchBytes = 0;
  const flushDone = () => {
    if (batch.length === 0) return;
    const frames = batch;
    batch = [];
    batchBytes = 0;
    send(frames.length === 1 ? frames[0] : { t: "batch", frames });
  };
  /** An upper bound of the frame's JSON bytes: a string's JSON is at most 6 bytes a unit. */
  const doneBytes = (outcome: any): number => {
    let bytes = 256;
    for (const key in outcome) {
      const value = outcome[key];
      if (typeof value === "string") bytes += 6 * (key.length + value.length);
      else if (typeof value !== "boolean" && typeof value !== "number") return Infinity;
    }
    return bytes;
  };
  const sendDone = (frame: { t: "done"; id: number; outcome: unknown }) => {
    const bytes = doneBytes(frame.outcome);
    if (bytes > config.doneBatchBytes) return send(frame);
    if (batchBytes + bytes > config.doneBatchBytes) flushDone();
    if (batch.length === 0) setImmediate(flushDone);
    batch.push(frame);
    batchBytes += bytes;
  };
  const workerUrl = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const sources = new Map<string, string>();
  interface Slot {
    worker: Worker;
    ready: Promise<void>;
    loaded: Set<string>;
    /** The realm whose executions this worker has run; null while it is fresh. */
    realm: string | null;
    /** The execution it runs; `deadline` (performance.now() time) is set once the worker has it. */
    run: { id: number; deadline: number; timeoutMs: number } | null;
    /** Its bootstrap has finished. */
    started: boolean;
    /** It ran work left over from an ended execution: retire it once idle. */
    tainted: boolean;
    /** MB its last execution left it holding (its share of the cap while idle). */
    heldMb: number;
    /** When it last became idle (performance.now() time). */
    idleAt: number;
    /** Its thread closed on an uncaught error. */
    closed: boolean;
  }
  const slots = new Set<Slot>();
  /** Idle workers, least recently used first. */
  const idle: Slot[] = [];
  const byRun = new Map<number, Slot>();

  let sampler: ReturnType<typeof setInterval> | undefined;
  let fast = false;
  let quietSamples = 0;
  /**
   * MB that retired workers may still account for: a terminated worker's memory is freed, but the
   * allocator need not give it back to the system at once (or at all, keeping it for later
   * threads). Allowed until the resident memory is back under the live workers' share, and never
   * past the cap of a host with every worker busy.
   */
  let retiredMb = 0;
  const ceilingMb = config.capBaseMb + config.maxWorkers * (config.capWorkerMb + config.memoryMb);
  const sample = () => {
    const { rss } = memoryUsage();
    let capMb = config.capBaseMb;
    for (const slot of slots) {
      capMb += config.capWorkerMb + (slot.run ? config.memoryMb : slot.heldMb);
    }
    if (rss <= capMb * 1048576) retiredMb = 0;
    else if (rss > Math.min(capMb + retiredMb, ceilingMb) * 1048576) {
      const line = `kiln isolate host: resident memory ${Math.round(rss / 1048576)} MB ` +
        `passed its cap of ${Math.round(Math.min(capMb + retiredMb, ceilingMb))} MB ` +
        `(${slots.size} workers, ${byRun.size} busy, limit ${config.memoryMb} MB)\n`;
      Deno.stderr.writeSync(encoder.encode(line));
      Deno.exit(memoryExitCode);
    }
    if (fast && byRun.size === 0 && ++quietSamples >= 20) pace(false);
    // Past the warm ones, the least recently used idle worker goes once idle long enough.
    if (idle.length > 0 && slots.size > config.warm) {
      if (performance.now() - idle[0].idleAt >= config.idleWorkerMs) retire(idle[0]);
    }
  };
  const pace = (busy: boolean) => {
    quietSamples = 0;
    if (sampler !== undefined && busy === fast) return;
    clearInterval(sampler);
    fast = busy;
    sampler = setInterval(sample, busy ? 10 : 250);
  };

  const retire = (slot: Slot) => {
    retiredMb += config.capWorkerMb + (slot.run ? config.memoryMb : slot.heldMb);
    slots.delete(slot);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
    // No guest code ran yet, or its thread already closed on an uncaught error: nothing to stop.
    if (!slot.started || slot.closed) return slot.worker.terminate();
    stop(slot.worker);
  };
  /** Ends a worker that has run guest code; one that may be stuck makes the host spent. */
  const stop = (worker: Worker) =>
    endWorker(worker, { t: "ping" }, (data: any) => data?.t === "pong", () => {
      if (!spent) (spent = true, send({ t: "spent" }));
    });
  let spent = false;
  // One timer for every deadline and wait limit, set for the earliest: runs that end early leave
  // it armed, and it re-arms for the next when it fires, so back-to-back runs set no timer of their
  // own.
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  let deadlineAt = Infinity;
  const watchDeadline = (at: number) => {
    if (at >= deadlineAt) return;
    clearTimeout(deadlineTimer);
    deadlineAt = at;
    deadlineTimer = setTimeout(sweepDeadlines, Math.max(0, at - performance.now()));
  };
  const sweepDeadlines = () => {
    deadlineTimer = undefined;
    deadlineAt = Infinity;
    const now = performance.now();
    for (const slot of byRun.values()) {
      const run = slot.run!;
      if (run.deadline === 0) continue;
      if (run.deadline > now) watchDeadline(run.deadline);
      else {
        const message = `no answer within ${run.timeoutMs} ms`;
        end(slot, { kind: "killed", reason: "timeout", message }, true);
      }
    }
    for (const [id, waiting] of queued) {
      if (waiting.until > now) watchDeadline(waiting.until);
      else {
        queued.delete(id);
        send({ t: "done", id, outcome: { kind: "overloaded" } });
      }
    }
  };
  const end = (slot: Slot, outcome: unknown, dead: boolean) => {
    const current = slot.run;
    if (!current) return;
    slot.run = null;
    byRun.delete(current.id);
    const frame = { t: "done" as const, id: current.id, outcome };
    // A run whose worker is retired (a kill, a crash, left-over work) reports at once, before
    // the retirement and any replacement's start take the thread.
    if (dead || slot.tainted) send(frame);
    else sendDone(frame);
    if (dead || slot.tainted) {
      retire(slot);
      if (slots.size === 0) idle.push(spawn());
    } else {
      slot.idleAt = performance.now();
      idle.push(slot);
    }
    drain();
  };
  const spawn = (): Slot => {
    const worker = new Worker(workerUrl, { type: "module" });
    let ready!: () => void;
    const slot: Slot = {
      worker,
      ready: new Promise((r) => (ready = r)),
      started: false,
      loaded: new Set(),
      realm: null,
      run: null,
      tainted: false,
      heldMb: 0,
      idleAt: performance.now(),
      closed: false,
    };
    slots.add(slot);
    worker.onmessage = (event: MessageEvent) => {
      const frame = event.data;
      if (frame.t === "ready") return (slot.started = true, ready());
      if (frame.t === "stale") {
        slot.tainted = true;
        if (!slot.run) (retire(slot), drain());
        return;
      }
      if (!slot.run || frame.id !== slot.run.id) return;
      if (frame.t === "done") {
        if (frame.retire) slot.tainted = true;
        slot.heldMb = (frame.held ?? config.memoryMb * 1048576) / 1048576;
        return end(slot, frame.outcome, frame.outcome.kind === "killed");
      }
      // Only what a run may say goes on to Kiln: never a frame of the host's own part.
      if (frame.t === "log" || frame.t === "call") send(frame);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      slot.closed = true;
      // One that fails before it started holds up nothing waiting for it (a `ready` below).
      if (!slot.started) ready();
      const message = `the isolate worker failed: ${event.message}`;
      if (slot.run) end(slot, { kind: "killed", reason: "crash", message }, true);
      else (retire(slot), drain());
    };
    return slot;
  };
  /** An idle worker of `realm`, else a fresh one; at the cap, the least recently used goes. */
  const claim = (realm: string): Slot => {
    for (const wanted of [realm, null]) {
      for (let i = idle.length - 1; i >= 0; i--) {
        if (idle[i].realm === wanted) return idle.splice(i, 1)[0];
      }
    }
    if (slots.size >= config.maxWorkers && idle.length > 0) retire(idle[0]);
    return spawn();
  };

  /** Hands the execution to its worker; its deadline runs from now. */
  const begin = (slot: Slot, frame: any) => {
    const source = slot.loaded.has(frame.hash) ? undefined : sources.get(frame.hash);
    slot.loaded.add(frame.hash);
    slot.run!.deadline = performance.now() + frame.timeoutMs;
    watchDeadline(slot.run!.deadline);
    slot.worker.postMessage({ ...frame, source });
  };
  /**
   * Runs Kiln sent past the workers' count, in order: each waits for the next worker that comes
   * free (Kiln sends at most one per worker), so that worker need not wait for Kiln's next frame,
   * and for no longer than its `waitMs` (what is left of its queue timeout): then it is answered
   * as overloaded, as it would have been in Kiln's queue.
   */
  const queued = new Map<number, { frame: any; until: number }>();
  /** Every worker is busy and no other may start. */
  const full = () => idle.length === 0 && slots.size >= config.maxWorkers;
  const drain = () => {
    for (const [id, { frame }] of queued) {
      if (full()) return;
      queued.delete(id);
      start(frame);
    }
  };
  const start = (frame: any): void => {
    if (frame.source !== undefined) sources.set(frame.hash, frame.source);
    if (full()) {
      const until = performance.now() + (frame.waitMs ?? Infinity);
      queued.set(frame.id, { frame, until });
      if (until < Infinity) watchDeadline(until);
      return;
    }
    const slot = claim(frame.realm);
    slot.realm = frame.realm;
    slot.run = { id: frame.id, deadline: 0, timeoutMs: frame.timeoutMs };
    byRun.set(frame.id, slot);
    pace(true);
    if (slot.started) return begin(slot, frame);
    // A worker still starting: Kiln allows for the start until `started`.
    send({ t: "wait", id: frame.id });
    slot.ready.then(() => {
      if (slot.run?.id !== frame.id) return;
      begin(slot, frame);
      send({ t: "started", id: frame.id });
    });
  };
  const onFrame = (frame: any) => {
    if (frame.t === "run") return start(frame);
    if (frame.t === "cancel" && queued.delete(frame.id)) {
      const outcome = { kind: "killed", reason: "timeout", message: "cancelled", aborted: true };
      return send({ t: "done", id: frame.id, outcome });
    }
    const slot = byRun.get(frame.id);
    if (!slot) return;
    if (frame.t === "reply") return slot.worker.postMessage(frame);
    if (frame.t === "cancel") {
      end(slot, { kind: "killed", reason: "timeout", message: "cancelled", aborted: true }, true);
    }
  };

  for (let i = 0; i < config.warm; i++) idle.push(spawn());
  pace(false);
  channel.on("message", onFrame);
  // Kiln went away (or closed the channel): nothing is left to serve.
  channel.on("disconnect", () => Deno.exit(0));
  // Ready once the warm workers are: an app's first execution then waits for no worker's start.
  await Promise.all(idle.map((slot) => slot.ready));
  send({ t: "ready" });
}
