/**
 * One permissionless worker holding one compiled component. The parent side of the protocol in
 * `_worker_source.ts`: it loads the component once, runs executions one at a time, forwards host
 * imports to that execution's callbacks, and is terminated on any kill.
 */
import { WORKER_SOURCE } from "./_worker_source.ts";
import type { TranspiledComponent } from "./_transpile.ts";

/** What a run ends with, before the runner maps it to a response or a kill. */
export type RunOutcome =
  | { ok: true; value: string }
  | { appError: string }
  | { trap: { kind: "stack" | "memory" | "exit" | "crash"; message: string; code?: number } }
  | { died: string };

/** The host side of one run. */
export interface RunHandlers {
  log(level: string, message: string, source: "sdk" | "console"): void;
  /** The run wrote past its output budget (the worker stopped it). */
  overflow(): void;
  call(tool: string, paramsJson: string): Promise<{ ok: boolean; value: string }>;
}

/** A run's inputs as the worker receives them. */
export interface RunInput {
  entry: string;
  requestJson: string;
  contextJson: string;
  memoryLimitBytes: number;
  maxOutputBytes: number;
}

let workerUrl: string | undefined;

export class ComponentWorker {
  readonly #worker: Worker;
  #handlers: RunHandlers | undefined;
  #settle: ((outcome: RunOutcome) => void) | undefined;
  #loaded: Promise<void>;
  #dead = false;

  constructor(component: TranspiledComponent, cores: Record<string, Uint8Array>) {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.#worker = new Worker(workerUrl, { type: "module", deno: { permissions: "none" } });
    let loaded!: (error?: string) => void;
    this.#loaded = new Promise<string | undefined>((resolve) => loaded = resolve).then((error) => {
      if (error !== undefined) throw new Error(error);
    });
    this.#worker.onmessage = (event: MessageEvent) => {
      const msg = event.data;
      if (msg.type === "loaded") loaded(msg.error);
      else if (msg.type === "log") this.#handlers?.log(msg.level, msg.message, msg.source);
      else if (msg.type === "overflow") this.#handlers?.overflow();
      else if (msg.type === "call") this.#call(msg.id, msg.tool, msg.paramsJson);
      else if (msg.type === "done") this.#finish(msg);
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#dead = true;
      loaded(event.message);
      this.#finish({ died: event.message });
    };
    // Cores capped for this worker are its own: moved, not cloned (megabytes, on this thread).
    // An uncapped core is the cached transpile's and is cloned.
    const own = Object.entries(cores).filter(([name, core]) => core !== component.cores[name])
      .map(([, core]) => core.buffer as ArrayBuffer);
    this.#worker.postMessage({ type: "load", js: component.js, cores }, [...new Set(own)]);
  }

  /** Resolves once the component compiled in the worker; rejects with jco's or V8's reason. */
  ready(): Promise<void> {
    return this.#loaded;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Runs one execution; the caller enforces the deadline by calling `terminate()`. */
  run(input: RunInput, handlers: RunHandlers): Promise<RunOutcome> {
    this.#handlers = handlers;
    return new Promise((resolve) => {
      this.#settle = resolve;
      this.#worker.postMessage({ type: "run", ...input });
    });
  }

  terminate(): void {
    this.#dead = true;
    this.#worker.terminate();
    this.#finish({ died: "terminated" });
  }

  async #call(id: number, tool: string, paramsJson: string): Promise<void> {
    const handlers = this.#handlers;
    if (!handlers) return;
    const { ok, value } = await handlers.call(tool, paramsJson);
    if (!this.#dead && this.#handlers === handlers) {
      this.#worker.postMessage({ type: "callResult", id, ok, value });
    }
  }

  #finish(outcome: RunOutcome | { type: "done" }): void {
    const settle = this.#settle;
    this.#settle = undefined;
    this.#handlers = undefined;
    if (!settle) return;
    if ("type" in outcome) {
      const { type: _, ...rest } = outcome as { type: string } & RunOutcome;
      settle(rest as RunOutcome);
    } else settle(outcome);
  }
}
