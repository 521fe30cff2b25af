// deno-lint-ignore-file no-explicit-any
/**
 * The isolate host: a Deno process Kiln starts with no permissions at all and a V8 heap limit,
 * holding one app's warm workers. It reads frames from stdin, runs each execution on an idle
 * worker of the same realm (a component, unless the app shares one realm across components),
 * enforces the deadline by terminating the worker, and writes the workers' frames to stdout.
 *
 * Memory: V8's heap limit does not cover array buffers or WebAssembly memories, so while workers
 * run the main thread samples the process's resident memory every 10 ms (every 250 ms when idle)
 * and ends the whole process past a cap derived from its workers' limits (`HOST_MEMORY_CAP`), with
 * an exit code that tells Kiln to report its runs as killed for `memory`. A heap overflow in any worker also
 * takes the process down. Either way the blast radius is this app's process, never Kiln; Kiln sees
 * the exit and starts a fresh host.
 *
 * Shipped as source (`_sources.ts`): nothing from module scope is used.
 */
import type { HostConfig } from "./_protocol.ts";
import type { lineReader as LineReader } from "./_line_reader.ts";

export function hostMain(
  config: HostConfig,
  workerSource: string,
  lineReader: typeof LineReader,
  memoryExitCode: number,
): void {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const memoryUsage = Deno.memoryUsage;
  const stdout = Deno.stdout;
  // Frames queued while a write is in flight go out in the next one: one write per turn under load.
  let queue: Uint8Array[] = [];
  let writing = false;
  const flush = async () => {
    writing = true;
    while (queue.length > 0) {
      const parts = queue;
      queue = [];
      let bytes = parts[0];
      if (parts.length > 1) {
        let size = 0;
        for (const part of parts) size += part.length;
        bytes = new Uint8Array(size);
        let at = 0;
        for (const part of parts) (bytes.set(part, at), at += part.length);
      }
      for (let at = 0; at < bytes.length;) at += await stdout.write(bytes.subarray(at));
    }
    writing = false;
  };
  // The leading newline ends any stray bytes a guest wrote to fd 1 without one. A payload is
  // JSON text (no raw newline or tab), as a string or as UTF-8 bytes.
  const send = (header: unknown, payload?: string | Uint8Array) => {
    const head = `\n${config.nonce}${JSON.stringify(header)}`;
    let bytes: Uint8Array;
    if (payload instanceof Uint8Array) {
      const h = encoder.encode(`${head}\t`);
      bytes = new Uint8Array(h.length + payload.length + 1);
      bytes.set(h);
      bytes.set(payload, h.length);
      bytes[bytes.length - 1] = 10;
    } else {
      bytes = encoder.encode(payload === undefined ? `${head}\n` : `${head}\t${payload}\n`);
    }
    queue.push(bytes);
    if (!writing) void flush().catch(() => Deno.exit(0));
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
  }
  const slots = new Set<Slot>();
  /** Idle workers, least recently used first. */
  const idle: Slot[] = [];
  const byRun = new Map<number, Slot>();

  let sampler: ReturnType<typeof setInterval> | undefined;
  let fast = false;
  let quietSamples = 0;
  const sample = () => {
    const { rss } = memoryUsage();
    let capMb = config.capBaseMb;
    for (const slot of slots) {
      capMb += config.capWorkerMb + (slot.run ? config.memoryMb : slot.heldMb);
    }
    if (rss > capMb * 1048576) {
      const line = `kiln isolate host: resident memory ${Math.round(rss / 1048576)} MB ` +
        `passed its cap of ${Math.round(capMb)} MB (${slots.size} workers, ${byRun.size} busy, ` +
        `limit ${config.memoryMb} MB)\n`;
      Deno.stderr.writeSync(encoder.encode(line));
      Deno.exit(memoryExitCode);
    }
    if (fast && byRun.size === 0 && ++quietSamples >= 20) pace(false);
  };
  const pace = (busy: boolean) => {
    quietSamples = 0;
    if (sampler !== undefined && busy === fast) return;
    clearInterval(sampler);
    fast = busy;
    sampler = setInterval(sample, busy ? 10 : 250);
  };

  const retire = (slot: Slot) => {
    slot.worker.terminate();
    slots.delete(slot);
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };
  // One timer for every deadline, set for the earliest: runs that end early leave it armed, and
  // it re-arms for the next when it fires, so back-to-back runs set no timer of their own.
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
  };
  const end = (slot: Slot, outcome: any, dead: boolean, json?: Uint8Array) => {
    const current = slot.run;
    if (!current) return;
    slot.run = null;
    byRun.delete(current.id);
    if (outcome.kind === "ok") send({ t: "done", id: current.id, n: json!.length }, json);
    else send({ t: "done", id: current.id, outcome });
    if (dead || slot.tainted) {
      retire(slot);
      if (slots.size === 0) idle.push(spawn());
    } else idle.push(slot);
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
    };
    slots.add(slot);
    worker.onmessage = (event: MessageEvent) => {
      const frame = event.data;
      if (frame.t === "ready") return (slot.started = true, ready());
      if (frame.t === "stale") {
        slot.tainted = true;
        if (!slot.run) retire(slot);
        return;
      }
      if (!slot.run || frame.id !== slot.run.id) return;
      if (frame.t === "done") {
        if (frame.retire) slot.tainted = true;
        slot.heldMb = (frame.held ?? config.memoryMb * 1048576) / 1048576;
        return end(slot, frame.outcome, frame.outcome.kind === "killed", frame.json);
      }
      if (frame.t === "call") {
        const { id, callId, tool } = frame;
        return send({ t: "call", id, callId, tool }, frame.params);
      }
      const { id, level, message, source } = frame;
      send({ t: "log", id, level, message, source }, frame.fields);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const message = `the isolate worker failed: ${event.message}`;
      if (slot.run) end(slot, { kind: "killed", reason: "crash", message }, true);
      else retire(slot);
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
  const begin = (slot: Slot, frame: any, input: Uint8Array) => {
    const source = slot.loaded.has(frame.hash) ? undefined : sources.get(frame.hash);
    slot.loaded.add(frame.hash);
    slot.run!.deadline = performance.now() + frame.timeoutMs;
    watchDeadline(slot.run!.deadline);
    // The input goes over as bytes, moved rather than copied, and is decoded by the worker.
    slot.worker.postMessage({ ...frame, source, input }, [input.buffer as ArrayBuffer]);
  };
  const start = (frame: any, input: Uint8Array) => {
    if (frame.source !== undefined) sources.set(frame.hash, frame.source);
    const slot = claim(frame.realm);
    slot.realm = frame.realm;
    slot.run = { id: frame.id, deadline: 0, timeoutMs: frame.timeoutMs };
    byRun.set(frame.id, slot);
    pace(true);
    if (slot.started) return begin(slot, frame, input);
    // A worker still starting: Kiln allows for the start until `started`.
    send({ t: "wait", id: frame.id });
    slot.ready.then(() => {
      if (slot.run?.id !== frame.id) return;
      begin(slot, frame, input);
      send({ t: "started", id: frame.id });
    });
  };
  const onFrame = (bytes: Uint8Array) => {
    const tab = bytes.indexOf(9);
    const frame = JSON.parse(decoder.decode(tab < 0 ? bytes : bytes.subarray(0, tab)));
    if (frame.t === "run") return start(frame, bytes.slice(tab + 1));
    const slot = byRun.get(frame.id);
    if (!slot) return;
    if (frame.t === "reply") {
      const reply = decoder.decode(bytes.subarray(tab + 1));
      return slot.worker.postMessage({ t: "reply", id: frame.id, callId: frame.callId, reply });
    }
    if (frame.t === "cancel") {
      end(slot, { kind: "killed", reason: "timeout", message: "cancelled", aborted: true }, true);
    }
  };

  for (let i = 0; i < config.warm; i++) idle.push(spawn());
  pace(false);
  const push = lineReader({
    prefix: new Uint8Array(0),
    maxFrameBytes: () => Infinity,
    frame: onFrame,
    stray: () => {},
    oversize: () => {},
  });
  (async () => {
    for await (const chunk of Deno.stdin.readable) push(chunk);
    Deno.exit(0);
  })();
  send({ t: "ready" });
}
