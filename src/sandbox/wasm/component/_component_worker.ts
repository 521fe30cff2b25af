/**
 * One worker holding one compiled component, in its app's component host. The parent side of the
 * protocol in `_worker_source.ts`: the host loads the component into it once; it runs executions
 * one at a time, forwards host imports to that execution's callbacks, and is terminated on any kill.
 */
import type { RemoteWorker } from "./_host_process.ts";

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

export class ComponentWorker {
  readonly #worker: RemoteWorker;
  #handlers: RunHandlers | undefined;
  #settle: ((outcome: RunOutcome) => void) | undefined;
  #loaded: Promise<void>;
  #dead = false;

  constructor(worker: RemoteWorker) {
    this.#worker = worker;
    let loaded!: (error?: string) => void;
    this.#loaded = new Promise<string | undefined>((resolve) => loaded = resolve).then((error) => {
      if (error !== undefined) throw new Error(error);
    });
    worker.onmessage = (msg) => {
      if (msg.type === "loaded") loaded(msg.error);
      else if (msg.type === "log") {
        this.#handlers?.log(String(msg.level), String(msg.message), msg.source);
      } else if (msg.type === "overflow") this.#handlers?.overflow();
      else if (msg.type === "call") this.#call(msg.id, String(msg.tool), String(msg.paramsJson));
      else if (msg.type === "done") this.#finish(msg);
    };
    worker.onerror = (message) => {
      this.#dead = true;
      loaded(message);
      this.#finish({ died: message });
    };
  }

  /** The host the worker lives in. */
  get host(): RemoteWorker["host"] {
    return this.#worker.host;
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
