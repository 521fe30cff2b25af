/**
 * The workflow engine (contract §7): starts runs (durably, with idempotency keys), drives them in
 * the background or for a synchronous caller, answers runs with their step trace, streams step
 * progress to subscribers, cancels, and resumes in-flight runs after a restart.
 */
import {
  type Clock,
  type JsonValue,
  KilnError,
  type Logger,
  quote,
  systemClock,
} from "../core/mod.ts";
import type { StoreDriver, StoreFence } from "../state/mod.ts";
import { driveRun, SHUTDOWN } from "./_driver.ts";
import { DEFAULT_RUN_LIMITS, type FrameDeps, type RunLimits } from "./_frame.ts";
import { RunEvents } from "./_events.ts";
import { systemTimers, type Timers } from "./_timers.ts";
import { type RunFilter, RunStore, type RunSummary } from "./run_store.ts";
import { localLeases, saveWithRetry } from "./_checkpoint.ts";
import type {
  ComponentInvoker,
  McpInvoker,
  RunEventBus,
  RunLease,
  RunLeases,
  WorkflowSource,
} from "./seams.ts";
import type { RunEvent, RunRecord } from "./types.ts";

/** What the engine is built from. */
export interface WorkflowEngineOptions {
  store: StoreDriver;
  source: WorkflowSource;
  mcp: McpInvoker;
  /** Runs `jit` and `llm` steps; absent, such steps fail with UNAVAILABLE. */
  components?: ComponentInvoker;
  logger: Logger;
  clock?: Clock;
  /** Timers for waits, backoff and timeouts (tests pass a fake clock's). */
  timers?: Timers;
  /** How long finished runs and idempotency keys are kept; default 7 days. */
  retentionSeconds?: number;
  /** Runs in flight at once on this node; more are refused with OVERLOADED. Default 1000. */
  maxActiveRuns?: number;
  /** Bounds on each run: steps per walk, trace entries kept. */
  limits?: Partial<RunLimits>;
  /** Who may drive a run; default: this node drives every run (no cluster). */
  leases?: RunLeases;
  /** Where step events go; default: subscribers in this process. */
  events?: RunEventBus;
}

/** How a run is started. */
export interface StartOptions {
  /** The same key (per app) answers the run it started instead of starting another. */
  idempotencyKey?: string;
  /** Extra `context.*` values (the component, the caller). */
  context?: Record<string, JsonValue>;
}

const DEFAULT_RETENTION = 7 * 24 * 3600;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** Runs workflows; one per Kiln node. */
export class WorkflowEngine {
  readonly #o: WorkflowEngineOptions;
  readonly #runs: RunStore;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #active = new Map<string, { controller: AbortController; done: Promise<RunRecord> }>();
  readonly #events: RunEventBus;
  readonly #leases: RunLeases;
  readonly #starting = new Map<string, Promise<RunRecord>>();
  readonly #components: ComponentInvoker;
  #closed = false;

  constructor(opts: WorkflowEngineOptions) {
    this.#o = opts;
    this.#timers = opts.timers ?? systemTimers(opts.clock ?? systemClock);
    this.#runs = new RunStore(opts.store, opts.retentionSeconds ?? DEFAULT_RETENTION);
    this.#log = opts.logger.with({ component: "workflow" });
    this.#events = opts.events ?? new RunEvents(this.#log);
    this.#leases = opts.leases ?? localLeases;
    this.#events.onCancelRequest?.((runId) => this.#cancelLocal(runId));
    this.#components = opts.components ?? {
      invoke: (call) =>
        Promise.reject(
          new KilnError(
            "UNAVAILABLE",
            `step ${quote(call.stepId)} needs a component runner, and none is attached`,
          ),
        ),
    };
  }

  /** Starts a run and answers its first checkpoint; the run goes on in the background. */
  async start(
    appId: string,
    workflowId: string,
    input: JsonValue,
    opts: StartOptions = {},
  ): Promise<RunRecord> {
    const key = opts.idempotencyKey;
    if (key === undefined) return await this.#create(appId, workflowId, input, opts);
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `an idempotency key is 1-200 printable characters, got ${quote(key)}`,
      );
    }
    const slot = `${appId}\n${key}`;
    const pending = this.#starting.get(slot);
    if (pending) return await this.#same(await pending, workflowId, input, key);
    const started = this.#create(appId, workflowId, input, opts);
    this.#starting.set(slot, started);
    try {
      return await this.#same(await started, workflowId, input, key);
    } finally {
      this.#starting.delete(slot);
    }
  }

  /** Runs a workflow to its end for a synchronous caller (a `handlerType: workflow` component). */
  async run(
    appId: string,
    workflowId: string,
    input: JsonValue,
    opts: StartOptions & { signal?: AbortSignal } = {},
  ): Promise<RunRecord> {
    const run = await this.start(appId, workflowId, input, opts);
    const active = this.#active.get(run.runId);
    if (!active) return run;
    const onAbort = () => active.controller.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await active.done;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** A run with its step trace; NOT_FOUND when the app has no such run (or it expired). */
  async get(appId: string, runId: string): Promise<RunRecord> {
    const run = await this.#runs.get(appId, runId);
    if (!run) throw new KilnError("NOT_FOUND", `app ${quote(appId)} has no run ${quote(runId)}`);
    return run;
  }

  /** The app's runs, newest first, without their traces. */
  list(appId: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.#runs.list(appId, filter);
  }

  /** Cancels a running run; a finished one is answered as it is. */
  async cancel(appId: string, runId: string): Promise<RunRecord> {
    const run = await this.get(appId, runId);
    if (run.status !== "running") return run;
    const active = this.#cancelLocal(runId);
    if (active) return await active;
    // Another node may drive it: holding its lease, this node may end it; else ask the owner.
    const lease = await this.#leases.acquire(appId, runId);
    if (!lease) return await this.#cancelRemote(appId, runId);
    try {
      return await this.#cancelStored(appId, runId, lease.fence);
    } finally {
      await lease.release(true);
    }
  }

  #cancelLocal(runId: string): Promise<RunRecord> | null {
    const active = this.#active.get(runId);
    if (!active) return null;
    active.controller.abort(new KilnError("CANCELLED", `run ${quote(runId)} was cancelled`));
    return active.done;
  }

  async #cancelRemote(appId: string, runId: string): Promise<RunRecord> {
    if (!this.#events.requestCancel) return await this.get(appId, runId);
    await this.#events.requestCancel(runId);
    for (let i = 0; i < 50; i++) {
      const run = await this.get(appId, runId);
      if (run.status !== "running") return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new KilnError(
      "UNAVAILABLE",
      `run ${quote(runId)} is driven by another node, which did not confirm the cancel`,
      { runId },
    );
  }

  async #cancelStored(appId: string, runId: string, fence?: StoreFence): Promise<RunRecord> {
    const run = await this.get(appId, runId);
    if (run.status !== "running") return run;
    run.status = "cancelled";
    run.error = { code: "CANCELLED", message: "the run was cancelled" };
    run.endedAt = run.updatedAt = this.#timers.now();
    delete run.next;
    await this.#runs.save(run, fence);
    return run;
  }

  /** Calls `listener` with each event of run `runId` until the returned function is called. */
  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    return this.#events.subscribe(runId, listener);
  }

  /** Resumes every run left in flight by an earlier process (and not leased); answers how many. */
  async resume(): Promise<number> {
    let resumed = 0;
    for (const { appId, runId } of await this.#runs.inFlight()) {
      if (await this.adopt(appId, runId)) resumed++;
    }
    return resumed;
  }

  /**
   * Takes over one in-flight run from its last checkpoint when nobody holds its lease (a
   * restart, or a cluster node that died); true when this node now drives it.
   */
  async adopt(appId: string, runId: string): Promise<boolean> {
    if (this.#closed || this.#active.has(runId)) return false;
    const lease = await this.#leases.acquire(appId, runId);
    if (!lease) return false;
    try {
      const run = await this.#runs.get(appId, runId);
      if (!run || run.status !== "running") {
        await this.#runs.forget(appId, runId);
        await lease.release(true);
        return false;
      }
      const workflow = await this.#o.source.workflow(appId, run.workflowId, run.revision);
      this.#drive(run, workflow, lease);
      return true;
    } catch (err) {
      this.#log.warn("cannot resume run", { appId, runId, error: String(err) });
      await lease.release(false);
      return false;
    }
  }

  /** Stops driving runs; they stay in flight in the store and resume on the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    const done = [...this.#active.values()].map((a) => {
      a.controller.abort(SHUTDOWN);
      return a.done.catch(() => {});
    });
    await Promise.all(done);
  }

  /** How many runs this node is driving. */
  get activeRuns(): number {
    return this.#active.size;
  }

  async #create(
    appId: string,
    workflowId: string,
    input: JsonValue,
    opts: StartOptions,
  ): Promise<RunRecord> {
    const runId = crypto.randomUUID();
    const key = opts.idempotencyKey;
    if (key !== undefined) {
      const seen = await this.#runs.claim(appId, key, runId, fingerprint(workflowId, input));
      if (seen) return await this.#claimedRun(appId, seen.runId, key);
    }
    try {
      if (this.#closed) throw new KilnError("UNAVAILABLE", "the workflow engine is shutting down");
      if (this.#active.size >= (this.#o.maxActiveRuns ?? 1000)) {
        throw new KilnError("OVERLOADED", `${this.#active.size} workflow runs are in flight`);
      }
      const app = this.#o.source.app(appId);
      const workflow = await this.#o.source.workflow(appId, workflowId, app.revision);
      const now = this.#timers.now();
      const run: RunRecord = {
        runId,
        appId,
        workflowId,
        revision: app.revision,
        status: "running",
        trigger: input,
        context: {
          appId,
          configuration: app.configuration as JsonValue,
          ...opts.context,
        },
        ...(key ? { idempotencyKey: key } : {}),
        createdAt: now,
        updatedAt: now,
        next: workflow.startAt,
        outputs: {},
        trace: [],
      };
      const lease = await this.#leases.acquire(appId, run.runId);
      if (!lease) throw new KilnError("INTERNAL", `run ${quote(run.runId)} is leased already`);
      try {
        await this.#runs.index(run);
        await this.#runs.save(run, lease.fence);
      } catch (err) {
        await lease.release(true);
        throw err;
      }
      const snapshot = structuredClone(run);
      this.#drive(run, workflow, lease);
      return snapshot;
    } catch (err) {
      // The key is free again: a retry of this request may start the run.
      if (key !== undefined) await this.#runs.unclaim(appId, key).catch(() => {});
      throw err;
    }
  }

  /** The run another start (maybe on another node) claimed the key for, once it is saved. */
  async #claimedRun(appId: string, runId: string, key: string): Promise<RunRecord> {
    for (let i = 0; i < 40; i++) {
      const run = await this.#runs.get(appId, runId);
      if (run) return run;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new KilnError(
      "UNAVAILABLE",
      `idempotency key ${quote(key)} is taken by run ${quote(runId)}, which has not started`,
      { runId },
    );
  }

  #same(run: RunRecord, workflowId: string, input: JsonValue, key: string): RunRecord {
    if (fingerprint(run.workflowId, run.trigger) !== fingerprint(workflowId, input)) {
      throw new KilnError(
        "CONFLICT",
        `idempotency key ${quote(key)} already started run ${quote(run.runId)} with other input`,
        { runId: run.runId },
      );
    }
    return run;
  }

  #drive(run: RunRecord, workflow: Parameters<typeof driveRun>[1], lease: RunLease): void {
    const controller = new AbortController();
    // Losing the lease stops this node at once; the run stays in flight for the next owner.
    const onLost = () => controller.abort(SHUTDOWN);
    if (lease.lost.aborted) onLost();
    else lease.lost.addEventListener("abort", onLost, { once: true });
    const deps: FrameDeps = {
      timers: this.#timers,
      components: { invoke: (call) => this.#components.invoke(call) },
      mcp: this.#o.mcp,
      source: this.#o.source,
      limits: { ...DEFAULT_RUN_LIMITS, ...this.#o.limits },
      emit: (event) => this.#events.emit(event),
    };
    let ended = false;
    const fenced = { save: (r: RunRecord) => this.#runs.save(r, lease.fence) };
    const saver = {
      save: async (r: RunRecord) => {
        try {
          await saveWithRetry(fenced, r, this.#timers, controller.signal, this.#log);
        } catch (err) {
          // The store refused the save: another node owns the run now. Stop as on a lost lease.
          if (isLeaseLost(err)) controller.abort(SHUTDOWN);
          throw err;
        }
        if (r.status !== "running") ended = true;
      },
    };
    const done = driveRun(run, workflow, deps, saver, controller.signal)
      .then((end) => {
        if (ended) {
          this.#log.info("workflow run", {
            appId: end.appId,
            workflowId: end.workflowId,
            runId: end.runId,
            status: end.status,
            ...(end.error ? { code: end.error.code, stepId: end.error.stepId } : {}),
            steps: end.trace.length + (end.traceDropped ?? 0),
            durationMs: (end.endedAt ?? end.updatedAt) - end.createdAt,
          });
        }
        return end;
      })
      .catch((err) => {
        this.#log.error("workflow run crashed", { runId: run.runId, error: String(err) });
        return run;
      })
      .finally(async () => {
        lease.lost.removeEventListener("abort", onLost);
        this.#active.delete(run.runId);
        await lease.release(ended);
      });
    this.#active.set(run.runId, { controller, done });
  }
}

function isLeaseLost(err: unknown): boolean {
  return err instanceof KilnError && err.code === "CONFLICT" &&
    (err.details as { reason?: unknown } | undefined)?.reason === "lease_lost";
}

function fingerprint(workflowId: string, input: JsonValue): string {
  return `${workflowId}\n${JSON.stringify(input)}`;
}
