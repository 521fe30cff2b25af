/**
 * An app's renderer process: Kiln itself (`kiln __renderer`, `child.ts`) with every permission
 * dropped and a V8 heap limit.
 * Its first stdin line is the render worker's source; every line after is a job, which runs on an
 * idle worker (a new one when none is idle; Kiln never sends more than the app's concurrency
 * cap) and is answered on stdout. A job's deadline runs from when a loaded worker has it; past
 * it the worker is terminated, which stops the template wherever it is; a template that exhausts the heap ends this whole process, never
 * Kiln.
 */

// deno-lint-ignore-file no-explicit-any
export function hostMain(nonce: string, keepIdle: number): void {
  const encoder = new TextEncoder();
  const stdout = Deno.stdout.writable.getWriter();
  const send = (frame: unknown) =>
    void stdout.write(encoder.encode(`${nonce}${JSON.stringify(frame)}\n`));
  let workerUrl = "";
  interface Slot {
    worker: Worker;
    /** Resolves once the worker has loaded (it says so), so a render's clock never pays for that. */
    loaded: Promise<void>;
  }
  const idle: Slot[] = [];
  const spawn = (): Slot => {
    const worker = new Worker(workerUrl, { type: "module" });
    const loaded = new Promise<void>((resolve) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event: ErrorEvent) => (event.preventDefault(), resolve());
    });
    return { worker, loaded };
  };

  const run = async (frame: any) => {
    const slot = idle.pop() ?? spawn();
    await slot.loaded;
    const { worker } = slot;
    let done = false;
    const finish = (answer: unknown, healthy: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.onmessage = null;
      worker.onerror = null;
      send({ t: "done", id: frame.id, answer });
      if (healthy && idle.length < keepIdle) idle.push(slot);
      else worker.terminate();
      // A replacement starts now, so the app's next render finds a loaded worker.
      if (!healthy && idle.length === 0) idle.push(spawn());
    };
    const timer = setTimeout(() => finish({ killed: "timeout" }, false), frame.timeoutMs);
    worker.onmessage = (event: MessageEvent) => finish(event.data, true);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish({ killed: "crash", message: String(event.message) }, false);
    };
    worker.postMessage({ parts: frame.parts, vars: frame.vars, maxChars: frame.maxChars });
  };

  (async () => {
    let buffered = "";
    let first = true;
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      let from = buffered.length;
      buffered += chunk;
      for (let nl = buffered.indexOf("\n", from); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        from = 0;
        if (!line) continue;
        if (first) {
          first = false;
          const source = JSON.parse(line);
          workerUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
          const warm = spawn();
          idle.push(warm);
          warm.loaded.then(() => send({ t: "ready" }));
        } else void run(JSON.parse(line));
      }
    }
    Deno.exit(0);
  })();
}
