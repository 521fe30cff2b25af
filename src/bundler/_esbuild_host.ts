/**
 * Kiln's side of the esbuild worker (`_esbuild_worker.ts`): started lazily from its embedded
 * bundle (a blob: URL, so it loads in a compiled Kiln and with read access limited to the data
 * dir) with no permissions, fed esbuild's compiled module, and given one job at a time. A job
 * past its deadline ends the worker, the only way to stop a synchronous wasm call, and fails
 * alone: jobs queued behind it start on a fresh worker. An idle worker ends after a while, which
 * frees esbuild's Go heap and lets a command that built something exit.
 */
import { KilnError } from "../core/mod.ts";
import type {
  EsbuildMessage,
  HostToWorker,
  Job,
  JobResult,
  PluginAnswer,
  PluginCall,
  WorkerToHost,
} from "./_esbuild_protocol.ts";

/** How an esbuild job failed: esbuild's own diagnostics, or a message. */
export class EsbuildFailure extends Error {
  constructor(message: string, readonly errors?: EsbuildMessage[]) {
    super(message);
  }
}

/** A job that ran past its deadline; the worker running it was ended. */
export class EsbuildTimeout extends Error {
  constructor(readonly deadlineMs: number) {
    super(`esbuild did not finish within ${deadlineMs} ms`);
  }
}

/** How long a worker with nothing to do is kept: registration's builds and the first
 * request's, which follow them, share one. */
const IDLE_MS = 10_000;

/** How long a worker may take to start esbuild: Kiln's own time, never charged to a build. */
const START_MS = 30_000;

interface Queued {
  job: Job;
  deadlineMs: number;
  plugin: (call: PluginCall) => Promise<PluginAnswer>;
  resolve(result: JobResult): void;
  reject(err: Error): void;
}

let workerUrl: Promise<string> | undefined;
let worker: Worker | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let nextId = 1;
const queue: Queued[] = [];
let active: (Queued & { id: number; timer: ReturnType<typeof setTimeout> }) | null = null;

/** Runs one esbuild job on the worker; `plugin` answers the app-files plugin's calls. */
export function runEsbuild(
  job: Job,
  deadlineMs: number,
  plugin: (call: PluginCall) => Promise<PluginAnswer>,
): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    queue.push({ job, deadlineMs, plugin, resolve, reject });
    void next();
  });
}

/** Ends the worker (when idle, or past a job's deadline); the next job starts a new one. */
function endWorker(): void {
  clearTimeout(idleTimer);
  worker?.terminate();
  worker = undefined;
}

async function next(): Promise<void> {
  if (active || queue.length === 0) return;
  const queued = queue.shift()!;
  clearTimeout(idleTimer);
  const id = nextId++;
  // The job's deadline runs from when esbuild starts it (`running`), not from when it was queued
  // or while the worker starts, so a build pays for neither the one ahead of it nor a slow start
  // on a busy machine; a start that never ends is Kiln's failure, which no revision keeps.
  const timer = setTimeout(() => {
    abandon(id, new KilnError("UNAVAILABLE", `esbuild did not start within ${START_MS} ms`));
  }, START_MS);
  active = { ...queued, id, timer };
  try {
    const ready = await started();
    // Abandoned while the worker started: the job has failed already.
    if (active?.id !== id) return;
    ready.postMessage({ type: "job", id, job: queued.job } satisfies HostToWorker);
  } catch (err) {
    const message = `cannot start esbuild: ${(err as Error)?.message ?? err}`;
    finish(id, () => queued.reject(new KilnError("UNAVAILABLE", message, {}, { cause: err })));
  }
}

/** Ends the worker running job `id` and fails the job with `err`; the queue goes on afresh. */
function abandon(id: number, err: Error): void {
  const current = active;
  if (current?.id !== id) return;
  active = null;
  endWorker();
  current.reject(err);
  void next();
}

function finish(id: number, settle: () => void): void {
  if (active?.id !== id) return;
  clearTimeout(active.timer);
  active = null;
  settle();
  if (queue.length > 0) void next();
  else {
    idleTimer = setTimeout(endWorker, IDLE_MS);
    Deno.unrefTimer(idleTimer);
  }
}

async function started(): Promise<Worker> {
  if (worker) return worker;
  workerUrl ??= import("../generated/esbuild_worker.bundle.js", { with: { type: "text" } })
    .then((m) => URL.createObjectURL(new Blob([m.default], { type: "text/javascript" })))
    .catch((err) => {
      workerUrl = undefined;
      throw err;
    });
  // The compiled module is shared with the worker, not copied; importing it needs no permission.
  const [url, wasm] = await Promise.all([workerUrl, import("./_esbuild_wasm.js")]);
  if (worker) return worker;
  const created = new Worker(url, { type: "module", deno: { permissions: "none" } });
  created.onmessage = ({ data }: MessageEvent<WorkerToHost>) => onMessage(created, data);
  created.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    if (worker !== created) return;
    endWorker();
    const current = active;
    if (current) {
      finish(
        current.id,
        // Kiln's fault, not the app's: not a build failure a revision would keep.
        () =>
          current.reject(
            new KilnError("UNAVAILABLE", `cannot build component code: ${event.message}`),
          ),
      );
    }
  };
  created.postMessage({ type: "init", wasmModule: wasm.default } satisfies HostToWorker);
  worker = created;
  return created;
}

function onMessage(from: Worker, message: WorkerToHost): void {
  const current = active;
  if (from !== worker || !current || message.id !== current.id) return;
  if (message.type === "running") {
    clearTimeout(current.timer);
    current.timer = setTimeout(
      () => abandon(current.id, new EsbuildTimeout(current.deadlineMs)),
      current.deadlineMs,
    );
  } else if (message.type === "call") {
    current.plugin(message.args).then(
      (answer) => answer,
      (err) => ({ errors: [{ text: String((err as Error)?.message ?? err) }] }),
    ).then((answer) => {
      if (active?.id === current.id && worker === from) {
        from.postMessage({ type: "answer", call: message.call, answer } satisfies HostToWorker);
      }
    });
  } else if (message.type === "done") {
    finish(current.id, () => current.resolve(message.result));
  } else if (message.type === "broken") {
    // Kiln's fault, not the app's: a fresh worker for the next job, and no failure to keep.
    endWorker();
    finish(
      current.id,
      () =>
        current.reject(
          new KilnError("UNAVAILABLE", `cannot build component code: ${message.message}`),
        ),
    );
  } else {
    finish(current.id, () => current.reject(new EsbuildFailure(message.message, message.errors)));
  }
}
