/**
 * Kiln's handle on one isolate host process: starts it (`deno run` with no permissions, no remote
 * or npm modules and a V8 heap limit), sends it executions, answers their MCP calls through each
 * execution's host, forwards their logs, and notices when the process dies — a heap overflow
 * (reason `memory`), a crash, or a kill by the watchdog when it stopped answering.
 */
import { KilnError } from "../../core/mod.ts";
import { answerCall, forwardLog } from "../_guest_io.ts";
import type { ExecutionHost } from "../tier.ts";
import type { RunOutcome } from "../_outcome.ts";
import type { FromHost, RunSpec, ToHost } from "./_protocol.ts";
import { hostScriptUrl } from "./_sources.ts";

export interface HostProcessOptions {
  /** The `deno` binary that runs the host. */
  denoPath: string;
  /** The V8 heap limit of the whole host, in MB. */
  heapMb: number;
  /** Workers started with the process. */
  warm: number;
  startTimeoutMs: number;
  /** Where lines the host writes that are not frames go (stderr, stray output). */
  onStray(line: string): void;
}

interface Active {
  host: ExecutionHost;
  started(): void;
  finish(outcome: RunOutcome): void;
}

const OOM = /out of memory|heap limit|allocation failed/i;

export class IsolateHostProcess {
  readonly #child: Deno.ChildProcess;
  readonly #nonce = crypto.randomUUID().replaceAll("-", "");
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #active = new Map<number, Active>();
  readonly #sent = new Set<string>();
  readonly #stderr: string[] = [];
  #nextId = 1;
  #dead: string | null = null;
  #ready: PromiseWithResolvers<void> = Promise.withResolvers();
  /** Resolves when the process has exited and every run in it has ended. */
  readonly exited: Promise<void>;

  private constructor(readonly opts: HostProcessOptions) {
    this.#child = new Deno.Command(opts.denoPath, {
      args: [
        "run",
        "--no-prompt",
        "--no-remote",
        "--no-npm",
        "--no-config",
        "--no-lock",
        "--quiet",
        `--v8-flags=--max-old-space-size=${opts.heapMb}`,
        hostScriptUrl(this.#nonce, opts.warm),
      ],
      clearEnv: true,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdin.closed.catch(() => {});
    void this.#readLines(this.#child.stdout, (line) => this.#onLine(line));
    const stderrDone = this.#readLines(this.#child.stderr, (line) => {
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
        `the isolate host exited (${status.signal ?? `code ${status.code}`})${
          tail ? `: ${tail.slice(-400)}` : ""
        }`,
      );
    });
  }

  /** Starts a host and waits until it answers. */
  static async start(opts: HostProcessOptions): Promise<IsolateHostProcess> {
    const host = new IsolateHostProcess(opts);
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

  /** Runs one execution; past `deadlineMs` without an answer the whole host is killed. */
  run(
    spec: Omit<RunSpec, "id">,
    host: ExecutionHost,
    opts: { deadlineMs: number; signal?: AbortSignal },
  ): Promise<RunOutcome> {
    if (this.#dead) {
      return Promise.resolve({ kind: "killed", reason: "crash", message: this.#dead });
    }
    const id = this.#nextId++;
    return new Promise<RunOutcome>((resolve) => {
      // Until a worker has the execution (it may still be starting), the wait is bounded by the
      // start timeout; from then on by the deadline plus the grace.
      const arm = (ms: number, message: string) =>
        setTimeout(() => {
          this.#active.get(id)?.finish({ kind: "killed", reason: "timeout", message });
          this.kill();
        }, ms);
      let watchdog = arm(
        Math.max(opts.deadlineMs, this.opts.startTimeoutMs),
        "the isolate host did not start the execution in time",
      );
      const onAbort = () => this.#send({ t: "cancel", id });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.#active.set(id, {
        host,
        started: () => {
          clearTimeout(watchdog);
          watchdog = arm(
            opts.deadlineMs,
            "the isolate host did not stop the execution at its deadline",
          );
        },
        finish: (outcome) => {
          clearTimeout(watchdog);
          opts.signal?.removeEventListener("abort", onAbort);
          this.#active.delete(id);
          resolve(outcome);
        },
      });
      const source = this.#sent.has(spec.hash) ? undefined : spec.source;
      this.#sent.add(spec.hash);
      this.#send({ t: "run", id, ...spec, source });
      if (opts.signal?.aborted) onAbort();
    });
  }

  /** Stops the process at once; runs in it end with reason `crash` (or what was set before). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  #send(frame: ToHost): void {
    if (this.#dead) return;
    this.#stdin.write(this.#encoder.encode(`${JSON.stringify(frame)}\n`)).catch(() => {});
  }

  #die(reason: "memory" | "crash", message: string): void {
    this.#dead ??= message;
    this.#ready.reject(
      new KilnError("TIER_UNAVAILABLE", `cannot start an isolate host: ${message}`),
    );
    this.#ready.promise.catch(() => {});
    for (const active of [...this.#active.values()]) {
      active.finish({ kind: "killed", reason, message });
    }
  }

  #onLine(line: string): void {
    if (!line.startsWith(this.#nonce)) return this.opts.onStray(line);
    const frame = JSON.parse(line.slice(this.#nonce.length)) as FromHost;
    if (frame.t === "ready") return this.#ready.resolve();
    const active = this.#active.get(frame.id);
    if (!active) return;
    if (frame.t === "started") return active.started();
    if (frame.t === "done") return active.finish(frame.outcome);
    if (frame.t === "log") return forwardLog(active.host, frame);
    const { id, callId } = frame;
    void answerCall(active.host, frame.tool, frame.params).then((reply) => {
      if (this.#active.has(id)) this.#send({ t: "reply", id, callId, reply });
    });
  }

  async #readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    let buffered = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      }
    } catch { /* the process went away */ }
    if (buffered) onLine(buffered);
  }
}
