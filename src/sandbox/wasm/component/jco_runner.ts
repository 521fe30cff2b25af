/**
 * Runs WebAssembly components (the `kiln:handler` world, see handler_wit.ts) for the wasm tier:
 * jco transpiles a component once per content hash, and each execution instantiates it afresh in
 * a worker that holds only the component's own memory. The worker is what makes the limits hard:
 * a deadline terminates it, memories are capped at the job's ceiling, and a trap discards it.
 * Workers live in their app's component host, a child process with no permissions
 * (`_host_process.ts`): a worker stuck in a loop survives `terminate()`, and only the end of its
 * process stops it — the app's, never Kiln's (ADR 0037). Runs take one of a bounded number of
 * places (`concurrency`, the cores by default); beyond them executions wait in a bounded queue,
 * fair between apps as the QuickJS workers' (ADR 0036), and are refused with OVERLOADED past its
 * timeout.
 *
 * Outcomes: `ok(json)` → `resultType: "generic"`; `err(text)` → `resultType: "error"` (the
 * component chose to fail); a trap (unreachable, out-of-bounds, a panic) → SANDBOX_KILLED reason
 * `crash` (the instance is in an undefined state, so it is killed rather than reported as an
 * application error), `stack` for stack exhaustion, `memory` when it trapped at its memory cap.
 */
import {
  type ChildCommand,
  jsonTextShape,
  kilnChildCommand,
  KilnError,
  LIMITS,
  type Logger,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
} from "../../../core/mod.ts";
import type { ExecuteResponse } from "../../../models/mod.ts";
import type { ComponentHostDetails } from "../../overview.ts";
import type { ExecutionCode, ExecutionJob } from "../../tier.ts";
import { type PoolMember, THREADS_PER_POOL, WorkerPool } from "../../_worker_pool.ts";
import { ReplaceHold } from "../../_replace_hold.ts";
import { type CpuGroups, noCpuGroups } from "../../cpu_groups.ts";
import { processCpuMs } from "../../_process_cpu.ts";
import { ComponentHost } from "./_host_process.ts";
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
  /** How Kiln starts itself as a child (the component host is `kiln __component-host`). */
  command?: ChildCommand;
  /** An app's component host that ran nothing this long is stopped (default 60 s). */
  idleMs?: number;
  /** Where host replacements are reported (default: nowhere). */
  logger?: Logger;
  /** Where each app's component host shares the CPU with its isolate hosts (default: none). */
  cpuGroups?: CpuGroups;
}

/** One app's component host, and what decides when the next may start. */
interface AppHost {
  host: ComponentHost | null;
  /** The CPU group its host is in (see `CpuGroups`), or null. */
  cpuGroup: string | null;
  starting: Promise<ComponentHost> | null;
  hold: ReplaceHold;
  busy: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

const HOST_START_TIMEOUT_MS = 10_000;

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
  readonly #command: ChildCommand;
  readonly #idleMs: number;
  readonly #log: Logger | undefined;
  readonly #cpu: CpuGroups;
  readonly #hosts = new Map<string, AppHost>();
  /** Spent hosts finishing their runs. */
  readonly #draining = new Set<ComponentHost>();
  #closed = false;

  constructor(options: JcoRunnerOptions = {}) {
    this.#cacheSize = options.cacheSize ?? 64;
    this.#maxIdle = options.maxIdleWorkers ?? 8;
    this.#command = options.command ?? kilnChildCommand();
    this.#idleMs = options.idleMs ?? 60_000;
    this.#cpu = options.cpuGroups ?? noCpuGroups("not asked for");
    this.#log = options.logger?.with({ component: "sandbox", tier: "wasm" });
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
    const appId = job.request.context.appId;
    const place = await this.#places.acquire(job.signal, undefined, appId);
    const app = this.#appHost(appId);
    app.busy++;
    clearTimeout(app.idleTimer);
    try {
      const host = await this.#hostOf(app, appId);
      return await this.#run(job, code, component, host, appId);
    } finally {
      this.#places.release(place);
      if (--app.busy === 0 && !this.#closed) this.#armIdle(appId, app);
    }
  }

  async #run(
    job: ExecutionJob,
    code: ComponentCode,
    component: TranspiledComponent,
    host: ComponentHost,
    appId: string,
  ): Promise<ExecuteResponse> {
    const started = performance.now();
    const codeKey = `${code.hash}#${code.entry}#${job.limits.memoryMb}`;
    const poolKey = `${appId}\0${codeKey}`;
    const worker = this.#idleWorker(poolKey, host) ??
      this.#spawn(host, codeKey, component, job.limits.memoryMb);
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

  /** Terminates every worker and host; later runs fail with TIER_UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#places.close();
    for (const worker of [...this.#busy, ...[...this.#idle.values()].flat()]) worker.terminate();
    this.#idle.clear();
    const hosts = [...this.#draining];
    for (const app of this.#hosts.values()) {
      clearTimeout(app.idleTimer);
      if (app.host) hosts.push(app.host);
      if (app.starting) hosts.push(await app.starting.catch(() => null) as ComponentHost);
    }
    this.#hosts.clear();
    const live = hosts.filter((host) => host !== null);
    for (const host of live) host.kill();
    await Promise.all(live.map((host) => host.exited));
  }

  /** Component host process ids by app (tests and the bench's memory figures). */
  /** Each app's host: alive, pid, its workers and how many run, its CPU group. */
  hostDetails(): ComponentHostDetails[] {
    const idle = [...this.#idle.values()].flat();
    return [...this.#hosts].map(([appId, app]) => {
      const host = app.host;
      const alive = !!host && !host.dead;
      const busy = [...this.#busy].filter((w) => w.host === host).length;
      return {
        appId,
        alive,
        pid: host?.pid ?? null,
        workers: alive ? busy + idle.filter((w) => w.host === host && !w.dead).length : 0,
        busy: alive ? busy : 0,
        cpuMs: alive ? processCpuMs(host?.pid) : null,
        cpuGroup: alive ? app.cpuGroup : null,
      };
    });
  }

  hostPids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const [appId, app] of this.#hosts) if (app.host) pids[appId] = app.host.pid;
    return pids;
  }

  #appHost(appId: string): AppHost {
    let app = this.#hosts.get(appId);
    if (!app) {
      app = { host: null, cpuGroup: null, starting: null, hold: new ReplaceHold(), busy: 0 };
      this.#hosts.set(appId, app);
    }
    return app;
  }

  /** The app's live host; a spent one is replaced (perhaps after a hold, see `ReplaceHold`). */
  #hostOf(app: AppHost, appId: string): Promise<ComponentHost> {
    const current = app.host;
    if (current && !current.dead && !current.spent) return Promise.resolve(current);
    if (current?.spent) {
      app.host = null;
      app.hold.replaced();
      this.#log?.warn("component host replaced: a worker it ended did not stop", {
        app: appId,
        pid: current.pid,
        streak: app.hold.streak,
      });
      this.#draining.add(current);
      void current.exited.then(() => this.#draining.delete(current));
    }
    if (app.starting) return app.starting;
    const held = app.hold.refusal("wasm", "component host");
    if (held) return Promise.reject(held);
    app.starting = ComponentHost.start({
      command: this.#command,
      startTimeoutMs: HOST_START_TIMEOUT_MS,
    }).then(
      (host) => {
        app.host = host;
        app.starting = null;
        app.cpuGroup = this.#cpu.join(appId, host.pid, host.exited);
        if (this.#closed) host.kill();
        return host;
      },
      (err) => {
        app.starting = null;
        throw err instanceof KilnError ? err : new KilnError(
          "TIER_UNAVAILABLE",
          `cannot start a component host: ${err instanceof Error ? err.message : err}`,
          { tier: "wasm" },
        );
      },
    );
    return app.starting;
  }

  /** An app that ran nothing for `idleMs` gives its host and idle workers back. */
  #armIdle(appId: string, app: AppHost): void {
    clearTimeout(app.idleTimer);
    app.idleTimer = setTimeout(() => {
      if (app.busy > 0 || this.#hosts.get(appId) !== app) return;
      this.#hosts.delete(appId);
      for (const [key, list] of this.#idle) {
        if (!key.startsWith(`${appId}\0`)) continue;
        for (const worker of list) worker.terminate();
        this.#idle.delete(key);
      }
      app.host?.kill();
    }, this.#idleMs);
    Deno.unrefTimer(app.idleTimer);
  }

  /** A warm worker of this component in `host`; those of a replaced host are let go. */
  #idleWorker(poolKey: string, host: ComponentHost): ComponentWorker | undefined {
    const list = this.#idle.get(poolKey);
    while (list && list.length > 0) {
      const worker = list.pop()!;
      if (worker.host === host && !worker.dead) return worker;
      worker.terminate();
    }
    return undefined;
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

  #spawn(
    host: ComponentHost,
    codeKey: string,
    component: TranspiledComponent,
    memoryMb: number,
  ): ComponentWorker {
    const code = () => {
      try {
        return { js: component.js, cores: capComponentMemory(component.cores, pagesFor(memoryMb)) };
      } catch (err) {
        throw sandboxKilled("memory", `the component cannot run in ${memoryMb} MB: ${err}`);
      }
    };
    return new ComponentWorker(host.worker(codeKey, code));
  }

  #release(poolKey: string, worker: ComponentWorker): void {
    const idle = [...this.#idle.values()].reduce((n, list) => n + list.length, 0);
    if (this.#closed || worker.dead || worker.host.spent || idle >= this.#maxIdle) {
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
