/**
 * Runs WebAssembly components (the `kiln:handler` world, see handler_wit.ts) for the wasm tier:
 * jco transpiles a component once per content hash, and each execution instantiates it afresh in
 * a permissionless worker that holds only the component's own memory. The worker is what makes
 * the limits hard: a deadline terminates it, memories are capped at the job's ceiling, and a trap
 * discards it. Runs take one of a bounded number of places (`concurrency`, the cores by default):
 * each worker is a thread of Kiln's, so beyond them executions wait in a bounded queue, fair
 * between apps as the QuickJS workers' (ADR 0036), and are refused with OVERLOADED past its timeout.
 *
 * Outcomes: `ok(json)` → `resultType: "generic"`; `err(text)` → `resultType: "error"` (the
 * component chose to fail); a trap (unreachable, out-of-bounds, a panic) → SANDBOX_KILLED reason
 * `crash` (the instance is in an undefined state, so it is killed rather than reported as an
 * application error), `stack` for stack exhaustion, `memory` when it trapped at its memory cap.
 */
import {
  jsonTextShape,
  KilnError,
  LIMITS,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
} from "../../../core/mod.ts";
import type { ExecuteResponse } from "../../../models/mod.ts";
import type { ExecutionCode, ExecutionJob } from "../../tier.ts";
import { type PoolMember, THREADS_PER_POOL, WorkerPool } from "../../_worker_pool.ts";
import { capComponentMemory, pagesFor } from "./_memory_cap.ts";
import { ComponentWorker, type RunOutcome } from "./_component_worker.ts";
import { jsName, transpileComponent, type TranspiledComponent } from "./_transpile.ts";
import { OFFERED_WASI } from "./_wasi_deny_source.ts";
import { callHost, GuestOutput, responseFor } from "./_host_bridge.ts";
import { KILN_HOST_IMPORTS } from "./handler_wit.ts";
import { handlerWorldProblems } from "./handler_world.ts";

type ComponentCode = Extract<ExecutionCode, { kind: "wasm-component" }>;

export interface JcoRunnerOptions {
  /** Transpiled components kept (by hash and entry). */
  cacheSize?: number;
  /** Warm workers kept idle across all components. */
  maxIdleWorkers?: number;
  /** Executions running at once, across all components (default: the cores, 2 to 8). */
  concurrency?: number;
  /** How long an execution may wait for a place before OVERLOADED. */
  queueTimeoutMs?: number;
  /** Executions allowed to wait; beyond it OVERLOADED at once. */
  maxQueue?: number;
}

/** A place to run in: the pool bounds how many executions hold one. */
class Place implements PoolMember {
  readonly dead = false;
  terminate(): void {}
}

const OFFERED = new Set<string>([...Object.values(KILN_HOST_IMPORTS), ...OFFERED_WASI]);

export class JcoComponentRunner {
  readonly #cache = new Map<string, Promise<TranspiledComponent>>();
  readonly #idle = new Map<string, ComponentWorker[]>();
  readonly #busy = new Set<ComponentWorker>();
  readonly #kills: Record<string, number> = {};
  readonly #cacheSize: number;
  readonly #maxIdle: number;
  readonly #places: WorkerPool<Place>;
  #closed = false;

  constructor(options: JcoRunnerOptions = {}) {
    this.#cacheSize = options.cacheSize ?? 64;
    this.#maxIdle = options.maxIdleWorkers ?? 8;
    this.#places = new WorkerPool({
      tier: "wasm",
      what: "a WebAssembly component worker",
      size: options.concurrency ?? THREADS_PER_POOL,
      maxQueue: options.maxQueue ?? 256,
      queueTimeoutMs: options.queueTimeoutMs ?? 5_000,
      spawn: () => Promise.resolve(new Place()),
      longRunMs: 50,
    });
  }

  /** Runs one execution of a `wasm-component` job; throws kills, never application errors. */
  async run(job: ExecutionJob): Promise<ExecuteResponse> {
    if (this.#closed) throw new KilnError("TIER_UNAVAILABLE", "the component runner is closed");
    const code = job.code;
    if (code.kind !== "wasm-component") {
      throw new KilnError(
        "BAD_REQUEST",
        `the component runner cannot run ${quote(code.kind)} code`,
      );
    }
    const component = await this.#transpiled(code);
    const place = await this.#places.acquire(job.signal, undefined, job.request.context.appId);
    try {
      return await this.#run(job, code, component);
    } finally {
      this.#places.release(place);
    }
  }

  async #run(
    job: ExecutionJob,
    code: ComponentCode,
    component: TranspiledComponent,
  ): Promise<ExecuteResponse> {
    const started = performance.now();
    const poolKey = `${code.hash}#${code.entry}#${job.limits.memoryMb}`;
    const worker = this.#idle.get(poolKey)?.pop() ?? this.#spawn(component, job.limits.memoryMb);
    this.#busy.add(worker);
    try {
      await compiled(worker, job.signal);
    } catch (err) {
      worker.terminate();
      this.#busy.delete(worker);
      throw err;
    }
    const output = new GuestOutput(job.limits.maxOutputBytes);
    let stop: ((why: "timeout" | "aborted") => void) | undefined;
    const stopped = new Promise<"timeout" | "aborted">((resolve) => stop = resolve);
    const onAbort = () => stop?.("aborted");
    job.signal?.addEventListener("abort", onAbort);
    const timer = setTimeout(() => stop?.("timeout"), job.limits.timeoutMs);
    try {
      const outcome = await Promise.race([
        this.#execute(worker, job, output),
        stopped.then((why): RunOutcome => ({ died: why })),
      ]);
      if ("died" in outcome && !worker.dead) worker.terminate();
      const ms = performance.now() - started;
      const kill = this.#killFor(outcome, output, job, ms);
      if (kill) {
        if (!worker.dead) worker.terminate();
        this.#kills[kill.reason] = (this.#kills[kill.reason] ?? 0) + 1;
        throw kill.error;
      }
      this.#release(poolKey, worker);
      return responseFor(job.request.requestId, outcome, ms);
    } catch (err) {
      if (!worker.dead) worker.terminate();
      throw err;
    } finally {
      clearTimeout(timer);
      job.signal?.removeEventListener("abort", onAbort);
      this.#busy.delete(worker);
    }
  }

  /** Terminates every worker; later runs fail with TIER_UNAVAILABLE. */
  close(): Promise<void> {
    this.#closed = true;
    this.#places.close();
    for (const worker of [...this.#busy, ...[...this.#idle.values()].flat()]) worker.terminate();
    this.#idle.clear();
    return Promise.resolve();
  }

  /** Workers alive, running, and kills by reason, for the tier's `stats()`. */
  stats(): { live: number; busy: number; kills: Record<string, number> } {
    const idle = [...this.#idle.values()].reduce((n, list) => n + list.length, 0);
    return { live: idle + this.#busy.size, busy: this.#busy.size, kills: { ...this.#kills } };
  }

  #execute(worker: ComponentWorker, job: ExecutionJob, output: GuestOutput) {
    return worker.run({
      entry: jsName(job.code.entry),
      requestJson: JSON.stringify(job.request.requestData),
      contextJson: JSON.stringify(job.request.context),
      memoryLimitBytes: pagesFor(job.limits.memoryMb) * 65536,
      maxOutputBytes: job.limits.maxOutputBytes,
    }, {
      log: (level, message, source) => output.log(job.host, level, message, source),
      overflow: () => (output.exceeded = true),
      call: (tool, paramsJson) => callHost(job.host, tool, paramsJson),
    });
  }

  #killFor(outcome: RunOutcome, output: GuestOutput, job: ExecutionJob, ms: number) {
    const elapsed = { elapsedMs: Math.round(ms) };
    if ("died" in outcome && outcome.died === "timeout") {
      const message = `the component ran past its ${job.limits.timeoutMs} ms deadline`;
      return { reason: "timeout", error: new SandboxTimeoutError(message, elapsed) };
    }
    if ("died" in outcome && outcome.died === "aborted") {
      const message = "the execution was aborted by its caller";
      return { reason: "timeout", error: new SandboxTimeoutError(message, { aborted: true }) };
    }
    if (output.exceeded || ("ok" in outcome && outcome.value.length > job.limits.maxOutputBytes)) {
      const message = `the component's output exceeded ${job.limits.maxOutputBytes} bytes`;
      return { reason: "output", error: sandboxKilled("output", message, elapsed) };
    }
    const over = "ok" in outcome ? jsonTextShape(outcome.value).over : null;
    if (over) {
      const message = over === "json.depth"
        ? `the component returned a result nested more than ${LIMITS["json.depth"]} levels deep`
        : `the component returned a result of more than ${LIMITS["json.items"]} items`;
      const details = { ...elapsed, limit: over };
      return { reason: "output", error: sandboxKilled("output", message, details) };
    }
    if ("died" in outcome) {
      const message = `the component worker died: ${quote(outcome.died)}`;
      return { reason: "crash", error: sandboxKilled("crash", message, elapsed) };
    }
    if (!("trap" in outcome)) return undefined;
    const { kind, message: trap } = outcome.trap;
    if (kind === "memory") {
      const message = `the component hit its ${job.limits.memoryMb} MB memory limit: ${
        quote(trap)
      }`;
      return { reason: "memory", error: sandboxKilled("memory", message, elapsed) };
    }
    if (kind === "stack") {
      const message = `the component exhausted its stack: ${quote(trap)}`;
      return { reason: "stack", error: sandboxKilled("stack", message, elapsed) };
    }
    const message = kind === "exit"
      ? `the component exited with code ${outcome.trap.code}`
      : `the component trapped: ${quote(trap)}`;
    return { reason: "crash", error: sandboxKilled("crash", message, { ...elapsed, trap }) };
  }

  #spawn(component: TranspiledComponent, memoryMb: number): ComponentWorker {
    let cores: Record<string, Uint8Array>;
    try {
      cores = capComponentMemory(component.cores, pagesFor(memoryMb));
    } catch (err) {
      throw sandboxKilled("memory", `the component cannot run in ${memoryMb} MB: ${err}`);
    }
    return new ComponentWorker(component, cores);
  }

  #release(poolKey: string, worker: ComponentWorker): void {
    const idle = [...this.#idle.values()].reduce((n, list) => n + list.length, 0);
    if (this.#closed || worker.dead || idle >= this.#maxIdle) {
      worker.terminate();
      return;
    }
    const list = this.#idle.get(poolKey) ?? [];
    list.push(worker);
    this.#idle.set(poolKey, list);
  }

  #transpiled(code: ComponentCode): Promise<TranspiledComponent> {
    const key = `${code.hash}#${code.entry}`;
    let found = this.#cache.get(key);
    if (found) {
      this.#cache.delete(key);
    } else {
      found = checkWorld(code).then(() => transpileComponent(code.bytes, code.entry))
        .then(checkImports);
      // A component that does not build never will (same hash): keep the refusal, so a caller
      // cannot make the main thread re-read a broken component on every request.
      found.catch((err) => {
        if (!(err instanceof KilnError && err.code === "COMPONENT_BUILD_FAILED")) {
          this.#cache.delete(key);
        }
      });
    }
    this.#cache.set(key, found);
    while (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    return found;
  }
}

/**
 * Waits for a new worker to compile its component. Compiling is Kiln's work on code the app
 * committed, like bundling JavaScript, so it does not eat the execution's deadline (a
 * componentize-js component carries a whole JS engine, seconds to compile on a busy machine);
 * `component.compileMs` bounds it instead, and a caller that gives up stops it.
 */
async function compiled(worker: ComponentWorker, signal?: AbortSignal): Promise<void> {
  const max = LIMITS["component.compileMs"];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `the component did not compile within ${max} ms`;
      reject(new KilnError("COMPONENT_BUILD_FAILED", message, { limit: "component.compileMs" }));
    }, max);
    onAbort = () =>
      reject(new SandboxTimeoutError("the execution was aborted by its caller", { aborted: true }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort);
  });
  try {
    await Promise.race([
      worker.ready().catch((err) => {
        const message = err instanceof Error ? err.message : String(err);
        const text = `cannot compile the component: ${quote(message)}`;
        throw new KilnError("COMPONENT_BUILD_FAILED", text);
      }),
      stop,
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

/** A definition written past registration's check (a tool call, a raw commit) is caught here. */
async function checkWorld(code: ComponentCode): Promise<void> {
  const problems = await handlerWorldProblems(code.bytes, code.entry);
  if (problems.length === 0) return;
  throw new KilnError(
    "COMPONENT_BUILD_FAILED",
    `the component does not implement the kiln:handler world: ${problems.join("; ")}`,
    { problems },
  );
}

function checkImports(component: TranspiledComponent): TranspiledComponent {
  const refused = component.imports.filter((name) => !OFFERED.has(name.replace(/@.*$/, "")));
  if (refused.length > 0) {
    throw new KilnError(
      "COMPONENT_BUILD_FAILED",
      `the component imports ${quote(refused.join(", "))}, which the wasm tier does not offer ` +
        "(components get kiln:host, stdio, clocks and randomness; no filesystem, network or env)",
      { refused },
    );
  }
  return component;
}
