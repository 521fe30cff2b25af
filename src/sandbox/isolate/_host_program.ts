/**
 * The isolate host: a Deno process Kiln starts with no permissions at all and a V8 heap limit,
 * holding one app's warm workers. It reads frames from stdin, runs each execution on an idle
 * worker (starting one if none is idle; Kiln never sends more than the app's concurrency cap),
 * enforces the deadline by terminating the worker, and writes the workers' frames to stdout.
 * A memory bomb in any worker takes this whole process down, never Kiln; Kiln sees the exit and
 * starts a fresh host. Shipped as source (`hostSource()`): nothing from module scope is used.
 */

// deno-lint-ignore-file no-explicit-any
export function hostMain(nonce: string, workerSource: string, warm: number): void {
  const encoder = new TextEncoder();
  const stdout = Deno.stdout.writable.getWriter();
  const send = (frame: unknown) =>
    void stdout.write(encoder.encode(`${nonce}${JSON.stringify(frame)}\n`));
  const workerUrl = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const sources = new Map<string, string>();
  interface Slot {
    worker: Worker;
    ready: Promise<void>;
    loaded: Set<string>;
    run: { id: number; timer: ReturnType<typeof setTimeout> | undefined } | null;
  }
  const idle: Slot[] = [];
  const byRun = new Map<number, Slot>();

  const retire = (slot: Slot) => {
    slot.worker.terminate();
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };
  const end = (slot: Slot, outcome: unknown, dead: boolean) => {
    const current = slot.run;
    if (!current) return;
    clearTimeout(current.timer);
    slot.run = null;
    byRun.delete(current.id);
    send({ t: "done", id: current.id, outcome });
    if (dead) {
      retire(slot);
      if (idle.length === 0) idle.push(spawn());
    } else idle.push(slot);
  };
  const spawn = (): Slot => {
    const worker = new Worker(workerUrl, { type: "module" });
    let ready!: () => void;
    const slot: Slot = {
      worker,
      ready: new Promise((r) => (ready = r)),
      loaded: new Set(),
      run: null,
    };
    worker.onmessage = (event: MessageEvent) => {
      const frame = event.data;
      if (frame.t === "ready") return ready();
      if (!slot.run || frame.id !== slot.run.id) return;
      if (frame.t === "done") {
        const killed = frame.outcome.kind === "killed";
        return end(slot, frame.outcome, killed);
      }
      send(frame);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const message = `the isolate worker failed: ${event.message}`;
      if (slot.run) end(slot, { kind: "killed", reason: "crash", message }, true);
      else retire(slot);
    };
    return slot;
  };

  const start = async (frame: any) => {
    if (frame.source !== undefined) sources.set(frame.hash, frame.source);
    const slot = idle.pop() ?? spawn();
    slot.run = { id: frame.id, timer: undefined };
    byRun.set(frame.id, slot);
    await slot.ready;
    if (slot.run?.id !== frame.id) return;
    const source = slot.loaded.has(frame.hash) ? undefined : sources.get(frame.hash);
    slot.loaded.add(frame.hash);
    slot.run.timer = setTimeout(() => {
      const message = `no answer within ${frame.timeoutMs} ms`;
      end(slot, { kind: "killed", reason: "timeout", message }, true);
    }, frame.timeoutMs);
    slot.worker.postMessage({ ...frame, source });
    send({ t: "started", id: frame.id });
  };
  const onFrame = (frame: any) => {
    if (frame.t === "run") return void start(frame);
    const slot = byRun.get(frame.id);
    if (!slot) return;
    if (frame.t === "reply") return slot.worker.postMessage(frame);
    if (frame.t === "cancel") {
      end(slot, { kind: "killed", reason: "timeout", message: "cancelled", aborted: true }, true);
    }
  };

  for (let i = 0; i < warm; i++) idle.push(spawn());
  (async () => {
    let buffered = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line) onFrame(JSON.parse(line));
      }
    }
    Deno.exit(0);
  })();
  send({ t: "ready" });
}
