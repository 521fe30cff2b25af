/**
 * Kiln's handle on one app's renderer process: starts it the way isolate hosts start (Kiln itself,
 * `kiln __renderer`, which drops every permission before it loads a template; a cleared
 * environment; from source no remote or npm modules, no config and a V8 heap limit), hands it the render worker, sends it jobs and notices when
 * it dies — a heap overflow (`memory`) or anything else (`crash`).
 */
import { type ChildCommand, KilnError } from "../core/mod.ts";
import WORKER from "../generated/render_worker.bundle.js" with { type: "text" };

/** What a job came back as: the worker's answer, or why the host gave up on it. */
export type HostAnswer =
  | { texts: string[] }
  | { error: { code: string; message: string; details?: unknown } }
  | { killed: "timeout" | "memory" | "crash"; message?: string };

export interface RendererProcessOptions {
  /** How Kiln starts itself as a child (the renderer is `kiln __renderer`). */
  command: ChildCommand;
  heapMb: number;
  /** Idle workers the process keeps between jobs. */
  keepIdle: number;
  startTimeoutMs: number;
  onStray(line: string): void;
}

/** The renderer's scheduling priority (nice value) relative to Kiln's 0. */
const NICE = 10;
const OOM = /out of memory|heap limit|allocation failed/i;

/** The renderer's command line: Kiln itself, `kiln __renderer NONCE KEEP_IDLE`. */
function rendererCommand(opts: RendererProcessOptions, nonce: string): string[] {
  const v8 = [`--v8-flags=--max-old-space-size=${opts.heapMb}`];
  return opts.command.args("__renderer", v8, [nonce, String(opts.keepIdle)]);
}

export class RendererProcess {
  readonly #child: Deno.ChildProcess;
  readonly #nonce = crypto.randomUUID().replaceAll("-", "");
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #pending = new Map<number, (answer: HostAnswer) => void>();
  readonly #stderr: string[] = [];
  readonly #ready = Promise.withResolvers<void>();
  #nextId = 1;
  #dead: string | null = null;
  /** Resolves once the process has exited and every job in it has been answered. */
  readonly exited: Promise<void>;

  private constructor(
    readonly opts: RendererProcessOptions,
    setPriority: (pid: number, priority: number) => void,
  ) {
    this.#child = new Deno.Command(opts.command.file, {
      args: rendererCommand(opts, this.#nonce),
      clearEnv: true,
      env: { NO_COLOR: "1", DENO_NO_PROMPT: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Renders are short; a template that spins should lose the CPU to Kiln and the other apps,
    // not share it. Set before the first worker starts, so every worker thread inherits it.
    try {
      setPriority(this.#child.pid, NICE);
    } catch { /* not permitted: the renderer runs at Kiln's priority */ }
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdin.closed.catch(() => {});
    this.#ready.promise.catch(() => {});
    void readLines(this.#child.stdout, (line) => this.#onLine(line));
    const stderrDone = readLines(this.#child.stderr, (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 20) this.#stderr.shift();
      opts.onStray(line);
    });
    this.exited = this.#child.status.then(async (status) => {
      await stderrDone;
      const tail = this.#stderr.join("\n");
      const memory = OOM.test(tail) || status.signal === "SIGTRAP";
      this.#die(
        memory ? "memory" : "crash",
        `the renderer process exited (${status.signal ?? `code ${status.code}`})${
          tail ? `: ${tail.slice(-300)}` : ""
        }`,
      );
    });
    this.#write(JSON.stringify(WORKER));
  }

  /** Starts a renderer process and waits until its first worker has loaded. */
  static async start(opts: RendererProcessOptions): Promise<RendererProcess> {
    // Loaded on demand: code that only renders locally (the container task) never imports it.
    const { setPriority } = await import("node:os");
    const host = new RendererProcess(opts, setPriority);
    const timer = setTimeout(() => host.kill(), opts.startTimeoutMs);
    try {
      await host.#ready.promise;
      return host;
    } finally {
      clearTimeout(timer);
    }
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Runs one job. The host stops it at `timeoutMs`; should the host itself stop answering, the
   * whole process is killed `graceMs` later.
   */
  run(
    job: { parts: unknown; vars: unknown; maxChars: number; timeoutMs: number },
    graceMs: number,
  ): Promise<HostAnswer> {
    if (this.#dead) return Promise.resolve({ killed: "crash", message: this.#dead });
    const id = this.#nextId++;
    return new Promise<HostAnswer>((resolve) => {
      const watchdog = setTimeout(() => {
        this.#pending.get(id)?.({ killed: "timeout" });
        this.kill();
      }, job.timeoutMs + graceMs);
      this.#pending.set(id, (answer) => {
        clearTimeout(watchdog);
        this.#pending.delete(id);
        resolve(answer);
      });
      this.#write(JSON.stringify({ id, ...job }));
    });
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  #write(line: string): void {
    if (this.#dead) return;
    this.#stdin.write(this.#encoder.encode(`${line}\n`)).catch(() => {});
  }

  #die(reason: "memory" | "crash", message: string): void {
    this.#dead ??= message;
    this.#ready.reject(new KilnError("UNAVAILABLE", `cannot start a renderer: ${message}`));
    for (const settle of [...this.#pending.values()]) settle({ killed: reason, message });
  }

  #onLine(line: string): void {
    if (!line.startsWith(this.#nonce)) return this.opts.onStray(line);
    const frame = JSON.parse(line.slice(this.#nonce.length)) as
      | { t: "ready" }
      | { t: "done"; id: number; answer: HostAnswer };
    if (frame.t === "ready") return this.#ready.resolve();
    this.#pending.get(frame.id)?.(frame.answer);
  }
}

/** Splits a byte stream into lines, scanning each chunk once (answers can be megabytes long). */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let pieces: string[] = [];
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      let from = 0;
      for (let nl = chunk.indexOf("\n"); nl >= 0; nl = chunk.indexOf("\n", from)) {
        pieces.push(chunk.slice(from, nl));
        onLine(pieces.join(""));
        pieces = [];
        from = nl + 1;
      }
      if (from < chunk.length) pieces.push(chunk.slice(from));
    }
  } catch { /* the process went away */ }
  if (pieces.length) onLine(pieces.join(""));
}
