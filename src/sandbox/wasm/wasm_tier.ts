import { KilnError, type Logger, quote } from "../../core/mod.ts";
import { responseFor } from "../_outcome.ts";
import type { ExecuteResponse } from "../../models/mod.ts";
import type { ExecutionJob, TierDriver, TierStats } from "../tier.ts";
import type { TierDetails } from "../overview.ts";
import type { ComponentRunner } from "./component_runner.ts";
import { QuickJsWorker, type RunResult } from "./_worker_handle.ts";
import { THREADS_PER_POOL, WorkerPool } from "../_worker_pool.ts";

export interface WasmTierOptions {
  logger: Logger;
  /** QuickJS workers, each running one execution at a time: the tier's concurrency cap. */
  workers?: number;
  /** How long an execution may wait for a free worker before OVERLOADED. */
  queueTimeoutMs?: number;
  /** Executions allowed to wait; beyond it OVERLOADED at once. */
  maxQueue?: number;
  /** Runs `wasm-component` jobs; without it they fail with TIER_UNAVAILABLE. */
  components?: ComponentRunner;
  /** How long past its deadline a silent worker is left before it is terminated and replaced. */
  watchdogGraceMs?: number;
  /**
   * Runs this long or longer are long: an app whose runs are takes the last free worker only if
   * it holds none, so its slow runs never hold every worker while another app waits (ADR 0036).
   */
  longRunMs?: number;
}

const START_TIMEOUT_MS = 15_000;

/**
 * The wasm tier (contract §5): JavaScript bundles (`iife`) run in QuickJS compiled to WebAssembly,
 * inside permissionless Deno workers off Kiln's main thread, each execution on a fresh guest state
 * (a prepared QuickJS runtime and context restored from its memory image, `_guest_snapshot.ts`)
 * with a hard memory ceiling, an interrupt deadline, a stack limit and an output cap. The guest sees only the SDK (`globalThis.__kiln`) and a captured `console`: no
 * Deno, fetch, timers, modules or host objects. WASI components go to the ComponentRunner.
 */
export class WasmTier implements TierDriver {
  readonly name = "wasm" as const;
  readonly reuse = "none" as const;
  readonly accepts = { javascript: "iife", wasmComponent: true } as const;
  readonly #pool: WorkerPool<QuickJsWorker>;
  readonly #log: Logger;
  readonly #components?: ComponentRunner;
  readonly #graceMs: number;
  readonly #kills: Record<string, number> = {};
  #closed = false;

  constructor(opts: WasmTierOptions) {
    this.#log = opts.logger.with({ component: "sandbox", tier: "wasm" });
    this.#components = opts.components;
    this.#graceMs = opts.watchdogGraceMs ?? 1_000;
    this.#pool = new WorkerPool({
      tier: "wasm",
      what: "QuickJS",
      size: opts.workers ?? THREADS_PER_POOL,
      maxQueue: opts.maxQueue ?? 256,
      queueTimeoutMs: opts.queueTimeoutMs ?? 5_000,
      startTimeoutMs: START_TIMEOUT_MS,
      spawn: () => QuickJsWorker.spawn(START_TIMEOUT_MS),
      share: (worker, held, queueKey) => held === queueKey && worker.canQueue(queueKey as string),
      longRunMs: opts.longRunMs ?? 50,
    });
  }

  unavailableReason(): string | null {
    if (this.#closed) return "the wasm tier is closed";
    const error = this.#pool.spawnError;
    return error ? `the wasm tier cannot start QuickJS: ${error}` : null;
  }

  /** Starts every worker now rather than on the first executions. */
  warm(): void {
    this.#pool.warm();
  }

  async execute(job: ExecutionJob): Promise<ExecuteResponse> {
    if (this.#closed) throw new KilnError("TIER_UNAVAILABLE", "the wasm tier is closed");
    const { code, request, limits } = job;
    if (code.kind === "wasm-component") {
      if (!this.#components) {
        throw new KilnError("TIER_UNAVAILABLE", "WASI components are not enabled", {
          tier: "wasm",
        });
      }
      return await this.#components.run(job);
    }
    if (code.kind !== "javascript" || code.format !== "iife") {
      const kind = code.kind === "javascript" ? `${code.format} JavaScript` : code.kind;
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `the wasm tier runs iife JavaScript bundles and WASI components, not ${quote(kind)}`,
        { tier: "wasm" },
      );
    }
    // Runs of one app's bundle may queue inside a busy worker (see `QuickJsWorker.canQueue`).
    const queueKey = code.hash ? `${job.request.context.appId}\n${code.hash}` : undefined;
    const spec = {
      source: code.source,
      key: code.hash,
      entry: code.entry,
      input: JSON.stringify([request.requestData, request.context]),
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      maxOutputBytes: limits.maxOutputBytes,
    };
    const opts = {
      graceMs: this.#graceMs,
      startTimeoutMs: START_TIMEOUT_MS,
      signal: job.signal,
      queueKey,
      queue: false,
    };
    const started = performance.now();
    let result: RunResult;
    let ticket = queueKey;
    do {
      const worker = await this.#pool.acquire(job.signal, ticket, request.context.appId);
      try {
        opts.queue = worker.runs > 0;
        result = await worker.run(spec, job.host, opts);
      } finally {
        this.#pool.release(worker);
      }
      // A queued run withdrawn before it started waits for a worker of its own.
      ticket = undefined;
    } while (result.kind === "withdrawn");
    if (result.kind === "killed" && result.reason === "crash") {
      this.#log.warn("QuickJS worker crashed", {
        requestId: request.requestId,
        detail: result.message,
      });
    }
    return responseFor("wasm", job, result, started, this.#kills);
  }

  details(): TierDetails {
    return { componentHosts: this.#components?.hostDetails?.() ?? [] };
  }

  stats(): TierStats {
    return { ...this.#pool.stats(), kills: { ...this.#kills } };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pool.close();
    await this.#components?.close();
  }
}
