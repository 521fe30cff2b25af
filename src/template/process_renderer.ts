import {
  type ChildCommand,
  kilnChildCommand,
  KilnError,
  LIMITS,
  type Logger,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
} from "../core/mod.ts";
import { type HostAnswer, RendererProcess } from "./_host_process.ts";
import { RENDER_STAGE, type RenderJob, type TemplateRenderer } from "./renderer.ts";

export interface ProcessRendererOptions {
  logger: Logger;
  /** How Kiln starts itself as a renderer process (default `kilnChildCommand()`). */
  command?: ChildCommand;
  /** Heap of each renderer process (MB); default `template.memoryMb`. */
  heapMb?: number;
  /** Renders each app runs at once; default `template.concurrency`. */
  concurrency?: number;
  /** A renderer with nothing to do for this long is stopped; its app starts one on demand. */
  idleMs?: number;
  /** How long past a deadline a process that does not answer is left before it is killed. */
  graceMs?: number;
}

interface AppRenderer {
  appId: string;
  process: RendererProcess | null;
  starting: Promise<RendererProcess> | null;
  busy: number;
  waiting: (() => void)[];
  idleTimer?: ReturnType<typeof setTimeout>;
}

// Generous: a renderer starts at a lower priority, so a busy machine slows its start most; a
// request still ends at its own deadline, and a late start serves the requests after it.
const START_TIMEOUT_MS = 30_000;

/**
 * Renders templates off Kiln's thread: each app gets its own renderer process (permissionless,
 * heap-limited), started on its first render and stopped when idle, holding warm workers. A
 * render runs on a worker under the job's deadline — a template that loops is terminated there, a
 * template that exhausts memory ends its app's process only, and output past `template.output`
 * is refused — so whatever an app's templates do, Kiln and other apps do not wait for them. All
 * of it is the component's fault: EXECUTION_TIMEOUT or SANDBOX_KILLED, with `details.stage`.
 */
export class ProcessRenderer implements TemplateRenderer {
  readonly #log: Logger;
  readonly #command: ChildCommand;
  readonly #heapMb: number;
  readonly #concurrency: number;
  readonly #idleMs: number;
  readonly #graceMs: number;
  readonly #apps = new Map<string, AppRenderer>();
  /**
   * A started process no app owns yet, handed to the next app that needs one, so an app's first
   * render does not wait for a process to start (and is not timed out by it under load). Kept
   * only once templates are in use; it holds no app's data.
   */
  #spare: Promise<RendererProcess> | null = null;
  #closed = false;

  constructor(opts: ProcessRendererOptions) {
    this.#log = opts.logger.with({ component: "template" });
    this.#command = opts.command ?? kilnChildCommand();
    this.#heapMb = opts.heapMb ?? LIMITS["template.memoryMb"];
    this.#concurrency = opts.concurrency ?? LIMITS["template.concurrency"];
    this.#idleMs = opts.idleMs ?? 300_000;
    this.#graceMs = opts.graceMs ?? 5_000;
  }

  async render(job: RenderJob): Promise<string[]> {
    if (this.#closed) throw new KilnError("UNAVAILABLE", "the prompt renderer is closed");
    const waitMs = job.waitMs ?? job.timeoutMs;
    const deadline = performance.now() + waitMs;
    const app = this.#app(job.appId);
    await this.#acquire(app, deadline, waitMs);
    try {
      const process = await this.#processOf(app, deadline, waitMs);
      // The render's own clock starts when a loaded worker has it (in the process).
      const timeoutMs = Math.max(
        1,
        Math.min(job.timeoutMs, Math.round(deadline - performance.now())),
      );
      const answer = await process.run({
        parts: job.parts,
        vars: job.vars,
        maxChars: LIMITS["template.output"],
        timeoutMs,
      }, this.#graceMs);
      return this.#result(job, timeoutMs, answer);
    } finally {
      this.#release(app);
    }
  }

  /** Each app's renderer process, for the admin view and tests. */
  processes(): { appId: string; pid: number | null; alive: boolean; busy: number }[] {
    return [...this.#apps.values()].map((app) => ({
      appId: app.appId,
      pid: app.process?.pid ?? null,
      alive: !!app.process && !app.process.dead,
      busy: app.busy,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const exits: Promise<void>[] = [];
    for (const app of this.#apps.values()) {
      clearTimeout(app.idleTimer);
      const process = app.process ?? await app.starting?.catch(() => null);
      if (process) (process.kill(), exits.push(process.exited));
    }
    this.#apps.clear();
    const spare = await this.#spare?.catch(() => null);
    this.#spare = null;
    if (spare) (spare.kill(), exits.push(spare.exited));
    await Promise.all(exits);
  }

  #result(job: RenderJob, timeoutMs: number, answer: HostAnswer): string[] {
    if ("texts" in answer) return answer.texts;
    const what = `the prompt template of app ${quote(job.appId)}`;
    if ("error" in answer) {
      const { code, message, details } = answer.error;
      throw new KilnError(code as KilnError["code"], message, details);
    }
    const details = { stage: RENDER_STAGE };
    if (answer.killed === "timeout") {
      throw new SandboxTimeoutError(`${what} did not render within ${timeoutMs} ms`, {
        ...details,
        limit: "template.ms",
        timeoutMs,
      });
    }
    this.#log.warn("renderer process died", { appId: job.appId, detail: answer.message });
    if (answer.killed === "memory") {
      throw sandboxKilled("memory", `${what} ran out of memory (${this.#heapMb} MB)`, {
        ...details,
        limit: "template.memoryMb",
        memoryMb: this.#heapMb,
      });
    }
    throw sandboxKilled("crash", `${what} crashed its renderer`, details);
  }

  #app(appId: string): AppRenderer {
    let app = this.#apps.get(appId);
    if (!app) {
      app = { appId, process: null, starting: null, busy: 0, waiting: [] };
      this.#apps.set(appId, app);
    }
    clearTimeout(app.idleTimer);
    return app;
  }

  /** A place in the app's concurrency cap, waited for until `deadline` at most. */
  #acquire(app: AppRenderer, deadline: number, waitMs: number): Promise<void> {
    if (app.busy < this.#concurrency) {
      app.busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        app.busy++;
        resolve();
      };
      const timer = setTimeout(() => {
        app.waiting.splice(app.waiting.indexOf(turn), 1);
        reject(
          new SandboxTimeoutError(
            `the prompt template of app ${quote(app.appId)} did not get to render within ` +
              `${waitMs} ms (the app's renders are busy)`,
            { stage: RENDER_STAGE, limit: "template.ms", timeoutMs: waitMs },
          ),
        );
      }, Math.max(0, deadline - performance.now()));
      app.waiting.push(turn);
    });
  }

  #release(app: AppRenderer): void {
    app.busy--;
    const next = app.waiting.shift();
    if (next) return next();
    if (app.busy === 0 && !this.#closed) {
      const timer = setTimeout(() => {
        if (app.busy > 0 || this.#apps.get(app.appId) !== app) return;
        this.#apps.delete(app.appId);
        app.process?.kill();
      }, this.#idleMs);
      Deno.unrefTimer(timer);
      app.idleTimer = timer;
    }
  }

  /** The app's process, started if need be; waited for until `deadline` at most. */
  async #processOf(app: AppRenderer, deadline: number, waitMs: number): Promise<RendererProcess> {
    if (app.process && !app.process.dead) return app.process;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new SandboxTimeoutError(
            `the renderer of app ${quote(app.appId)} did not start within ${waitMs} ms`,
            { stage: RENDER_STAGE, limit: "template.ms", timeoutMs: waitMs },
          ),
        ), Math.max(0, deadline - performance.now()));
    });
    try {
      return await Promise.race([this.#start(app), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Takes the spare if there is a live one (and starts the next), else starts a process. */
  async #takeProcess(appId: string): Promise<RendererProcess> {
    const spare = this.#spare;
    this.#spare = null;
    const ready = await spare?.catch(() => null);
    if (!this.#closed) this.#spare = this.#launch("spare");
    this.#spare?.catch(() => {});
    if (ready && !ready.dead) return ready;
    return await this.#launch(appId);
  }

  #launch(owner: string): Promise<RendererProcess> {
    return RendererProcess.start({
      command: this.#command,
      heapMb: this.#heapMb,
      keepIdle: this.#concurrency,
      startTimeoutMs: START_TIMEOUT_MS,
      onStray: (line) => this.#log.debug("renderer output", { appId: owner, line }),
    });
  }

  #start(app: AppRenderer): Promise<RendererProcess> {
    app.starting ??= this.#takeProcess(app.appId).then(
      (process) => {
        app.process = process;
        app.starting = null;
        if (this.#closed) process.kill();
        return process;
      },
      (err) => {
        app.starting = null;
        throw err instanceof KilnError
          ? err
          : new KilnError("UNAVAILABLE", `cannot start a renderer: ${(err as Error).message}`);
      },
    );
    return app.starting;
  }
}
