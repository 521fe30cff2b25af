import {
  type ChildCommand,
  kilnChildCommand,
  KilnError,
  type Logger,
  quote,
} from "../../core/mod.ts";
import type { ExecuteResponse } from "../../models/mod.ts";
import type { IsolateHostDetails, TierDetails } from "../overview.ts";
import { DEFAULT_LIMITS, type ExecutionJob, type TierDriver, type TierStats } from "../tier.ts";
import { responseFor } from "../_outcome.ts";
import { type PoolMember, queueTimedOut, WorkerPool } from "../_worker_pool.ts";
import { IsolateHostProcess } from "./_host_process.ts";
import { ReplaceHold } from "../_replace_hold.ts";
import { type CpuGroups, noCpuGroups } from "../cpu_groups.ts";
import { processCpuMs } from "../_process_cpu.ts";

export interface IsolateTierOptions {
  logger: Logger;
  /** How Kiln starts itself as a host process (default `kilnChildCommand()`). */
  command?: ChildCommand;
  /** Concurrent executions per app (each on its own warm worker); beyond it they queue. */
  workersPerApp?: number;
  /** Workers each host starts before its first execution. */
  warmWorkers?: number;
  /** A host retires workers beyond `warmWorkers` once idle this long (default 30 s). */
  idleWorkerMs?: number;
  queueTimeoutMs?: number;
  maxQueue?: number;
  /** How long past the deadline a host that does not answer is left before it is killed. */
  watchdogGraceMs?: number;
  /** A host with nothing to do for this long is stopped (its app starts a new one on demand). */
  idleMs?: number;
  /**
   * While an app's last execution took less than this many ms (default 50), one more run per
   * worker may wait in its host, which starts it as soon as a worker comes free (ADR 0034); 0 keeps
   * every waiting execution in Kiln's queue.
   */
  shareBelowMs?: number;
  /**
   * App-less hosts kept started ahead, so a never-seen app's first execution does not wait for a
   * process to start: the first app to need a host takes one, and another starts in the
   * background. Kept only while the tier is in use (see `prepare`); 0 turns them off.
   */
  spareHosts?: number;
  /** Where each app's hosts share the CPU as one (default: they stay in Kiln's group). */
  cpuGroups?: CpuGroups;
}

/** A place in an app's concurrency cap; the pool hands them out and queues beyond them. */
class Lease implements PoolMember {
  readonly dead = false;
  terminate(): void {}
}

interface AppHost {
  appId: string;
  key: string;
  heapMb: number;
  leases: WorkerPool<Lease>;
  process: IsolateHostProcess | null;
  starting: Promise<IsolateHostProcess> | null;
  busy: number;
  /** When its last execution ended (performance.now() time). */
  idleSince: number;
  /** Armed while the app has a host; checks `idleSince` when it fires (see `#scheduleIdle`). */
  idleTimer?: ReturnType<typeof setTimeout>;
  /** Its host was started ahead (`prepare`): the spares are refilled after its first execution. */
  refillAfterRun?: boolean;
  /** How long its last execution took from Kiln's send to its end, in ms. */
  lastRunMs: number;
  /** Its hosts replaced as spent: a new one may have to wait. */
  hold: ReplaceHold;
  /** The CPU group its host is in (see `CpuGroups`), or null. */
  cpuGroup: string | null;
}

interface Spare {
  host: Promise<IsolateHostProcess>;
  ready: IsolateHostProcess | null;
}

const START_TIMEOUT_MS = 10_000;
/** Spares are started for the default memory limit, which most components run with. */
const SPARE_HEAP_MB = DEFAULT_LIMITS.memoryMb;
/** A taken spare is replaced this long after, so its start does not compete with the first run. */
const SPARE_REFILL_MS = 200;
/**
 * A spare taken ahead of an app's first execution (`prepare`) is replaced once that execution
 * ended — a process starting beside it would slow it down — or this long after, if none came.
 */
const PREPARED_REFILL_MS = 2_000;

/**
 * The isolate tier (contract §5) for trusted JavaScript: each app gets its own host process,
 * Kiln itself (`kiln __isolate-host`) with every permission dropped and a V8 heap limit, holding warm workers that keep a component's
 * modules loaded between its requests. A warm worker serves only the component that first ran on it
 * (or any component of an app that set `isolateReuse: app`), so components never share a realm.
 * Deadlines terminate the worker (and, if the host stops answering, the host); memory past the
 * limit (heap, array buffers, WebAssembly memories) ends the worker or the host process only, which
 * the app's next request replaces — Kiln and other apps never notice. See ADR 0009 for why isolates
 * live in child processes. While the tier is in use it keeps a spare host started that has run
 * nothing: the next app that needs a host (at its registration, see `prepare`) takes it whole.
 */
export class IsolateTier implements TierDriver {
  readonly name = "isolate" as const;
  readonly reuse = "component" as const;
  readonly accepts = { javascript: "esm" } as const;
  readonly #o: Required<Omit<IsolateTierOptions, "command" | "logger" | "cpuGroups">>;
  readonly #command: ChildCommand;
  readonly #cpu: CpuGroups;
  readonly #log: Logger;
  readonly #hosts = new Map<string, AppHost>();
  /** Started, or starting, app-less hosts (`spareHosts`). */
  readonly #spares: Spare[] = [];
  readonly #spareStarts = new Set<Promise<IsolateHostProcess>>();
  #spareFill?: ReturnType<typeof setTimeout>;
  #spareFillAt = Infinity;
  #spareExpiry?: ReturnType<typeof setTimeout>;
  readonly #kills: Record<string, number> = {};
  /** Spent hosts finishing their runs (see `#replace`). */
  readonly #draining = new Set<IsolateHostProcess>();
  #queued = 0;
  #closed = false;
  /** Permission to run deno was granted (it is checked once, not on every execution). */
  #mayRun = false;

  constructor(opts: IsolateTierOptions) {
    this.#log = opts.logger.with({ component: "sandbox", tier: "isolate" });
    this.#command = opts.command ?? kilnChildCommand();
    this.#cpu = opts.cpuGroups ?? noCpuGroups("not asked for");
    this.#o = {
      workersPerApp: opts.workersPerApp ?? 4,
      warmWorkers: opts.warmWorkers ?? 1,
      idleWorkerMs: opts.idleWorkerMs ?? 30_000,
      queueTimeoutMs: opts.queueTimeoutMs ?? 5_000,
      maxQueue: opts.maxQueue ?? 256,
      watchdogGraceMs: opts.watchdogGraceMs ?? 1_000,
      idleMs: opts.idleMs ?? 300_000,
      spareHosts: opts.spareHosts ?? 1,
      shareBelowMs: opts.shareBelowMs ?? 50,
    };
  }

  unavailableReason(): string | null {
    if (this.#closed) return "the isolate tier is closed";
    if (this.#mayRun) return null;
    const file = this.#command.file;
    const run = Deno.permissions.querySync({ name: "run", command: file });
    if (run.state !== "granted") {
      return `Kiln may not run ${quote(file)} (grant --allow-run for it)`;
    }
    this.#mayRun = true;
    return null;
  }

  async execute(job: ExecutionJob): Promise<ExecuteResponse> {
    const down = this.unavailableReason();
    if (down) throw new KilnError("TIER_UNAVAILABLE", down, { tier: "isolate" });
    const { code, request, limits } = job;
    if (code.kind !== "javascript" || code.format !== "esm") {
      const kind = code.kind === "javascript" ? `${code.format} JavaScript` : code.kind;
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `the isolate tier runs esm JavaScript bundles, not ${quote(kind)}`,
        { tier: "isolate" },
      );
    }
    const app = this.#hostFor(request.context.appId, limits.memoryMb);
    this.#queued++;
    const asked = performance.now();
    let lease: Lease;
    try {
      lease = await app.leases.acquire(job.signal, true);
    } finally {
      this.#queued--;
    }
    // A run that waits in the host for a worker has what is left of its queue timeout.
    const waitMs = Math.max(0, Math.round(this.#o.queueTimeoutMs - (performance.now() - asked)));
    app.busy++;
    try {
      const process = await this.#processOf(app);
      const started = performance.now();
      const outcome = await process.run(
        {
          hash: code.hash,
          source: code.source,
          entry: code.entry,
          // Components share a warm realm only when their app asked for it (`isolateReuse`).
          realm: job.isolateReuse === "app" ? "" : `c:${request.context.componentId}`,
          input: JSON.stringify([request.requestData, request.context]),
          timeoutMs: limits.timeoutMs,
          memoryMb: limits.memoryMb,
          maxOutputBytes: limits.maxOutputBytes,
        },
        job.host,
        {
          deadlineMs: limits.timeoutMs + this.#o.watchdogGraceMs,
          waitMs,
          signal: job.signal,
        },
      );
      app.lastRunMs = performance.now() - started;
      if (outcome.kind === "killed" && ["memory", "crash", "output"].includes(outcome.reason)) {
        this.#log.warn("isolate sandbox killed", {
          appId: request.context.appId,
          requestId: request.requestId,
          reason: outcome.reason,
          detail: outcome.message,
        });
      }
      if (outcome.kind === "overloaded") throw queueTimedOut("isolate", this.#o.queueTimeoutMs);
      return responseFor("isolate", job, outcome, started, this.#kills);
    } finally {
      app.busy--;
      app.leases.release(lease);
      this.#scheduleIdle(app);
      if (app.refillAfterRun) (app.refillAfterRun = false, this.#keepSpares(0));
    }
  }

  stats(): TierStats {
    let live = 0, busy = 0, queued = this.#queued;
    for (const app of this.#hosts.values()) {
      const running = this.#running(app);
      if (app.process && !app.process.dead) live += Math.max(this.#o.warmWorkers, running);
      busy += running;
      queued += app.busy - running;
    }
    return { live, busy, queued, kills: { ...this.#kills } };
  }

  /** Each app's host process: alive, pid, heap limit, warm and busy workers (the admin panel). */
  hostDetails(): IsolateHostDetails[] {
    return [...this.#hosts.values()].map((app) => {
      const alive = !!app.process && !app.process.dead;
      return {
        key: app.key,
        alive,
        pid: app.process?.pid ?? null,
        heapMb: app.heapMb,
        workers: alive ? Math.max(this.#o.warmWorkers, this.#running(app)) : 0,
        busy: this.#running(app),
        maxWorkers: this.#o.workersPerApp,
        cpuMs: alive ? processCpuMs(app.process?.pid) : null,
        cpuGroup: alive ? app.cpuGroup : null,
      };
    });
  }

  details(): TierDetails {
    return { isolateHosts: this.hostDetails() };
  }

  /** Host process ids by app, for the bench's memory figures. */
  hostPids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const app of this.#hosts.values()) if (app.process) pids[app.key] = app.process.pid;
    return pids;
  }

  /** Process ids of the spare hosts started so far (none has run anything). */
  sparePids(): number[] {
    return this.#spares.flatMap((spare) => spare.ready ? [spare.ready.pid] : []);
  }

  /**
   * App `appId` will likely run here soon (it was registered, or serves a new revision): it gets
   * its host now — the spare started ahead if there is one (it ran nothing), else a fresh one —
   * and another spare is kept for the next app. Resolves once the host and its warm workers are
   * up, so the app's first execution waits for nothing; a host never used goes after `idleMs`.
   */
  async prepare(appId: string, memoryMb: number): Promise<void> {
    if (this.unavailableReason()) return;
    const app = this.#hostFor(appId, memoryMb);
    if (!app.process && !app.starting) app.refillAfterRun = true;
    try {
      await this.#processOf(app, app.refillAfterRun ? PREPARED_REFILL_MS : SPARE_REFILL_MS);
    } catch { /* its first execution starts another, and reports why if that fails too */ }
    this.#scheduleIdle(app);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#spareExpiry);
    // Started spares as well as starting ones: a killed process is gone only once it is reaped.
    const spares = new Set([...this.#spares.map((s) => s.host), ...this.#spareStarts]);
    this.#dropSpares();
    await Promise.allSettled([...spares].map((s) => s.then((host) => host.exited)));
    const exits: Promise<void>[] = [];
    for (const app of this.#hosts.values()) {
      clearTimeout(app.idleTimer);
      app.leases.close();
      if (app.process) (app.process.kill(), exits.push(app.process.exited));
    }
    this.#hosts.clear();
    for (const host of this.#draining) (host.kill(), exits.push(host.exited));
    await Promise.all(exits);
  }

  /** The app's executions on a worker: those past the workers' count wait in the host. */
  #running(app: AppHost): number {
    return Math.min(app.busy, this.#o.workersPerApp);
  }

  #hostFor(appId: string, heapMb: number): AppHost {
    const key = `${appId}@${heapMb}mb`;
    let app = this.#hosts.get(key);
    if (!app) {
      const leases: WorkerPool<Lease> = new WorkerPool<Lease>({
        tier: "isolate",
        what: "an isolate host",
        size: this.#o.workersPerApp,
        maxQueue: this.#o.maxQueue,
        queueTimeoutMs: this.#o.queueTimeoutMs,
        spawn: () => Promise.resolve(new Lease()),
        // A second run per place may wait in the host, which starts it the moment a worker comes
        // free instead of a round trip to Kiln later. Only behind short runs: it waits there for
        // a worker, up to what is left of its queue timeout, rather than for a place in Kiln.
        share: () => created.lastRunMs < this.#o.shareBelowMs,
      });
      const created: AppHost = {
        appId,
        key,
        heapMb,
        leases,
        process: null,
        starting: null,
        busy: 0,
        idleSince: 0,
        lastRunMs: Infinity,
        hold: new ReplaceHold(),
        cpuGroup: null,
      };
      app = created;
      this.#hosts.set(key, app);
    }
    return app;
  }

  #processOf(app: AppHost, refillMs = SPARE_REFILL_MS): Promise<IsolateHostProcess> {
    const current = app.process;
    if (current && !current.dead && !current.spent) return Promise.resolve(current);
    // Spent, it may have ended already: the replacement counts all the same.
    if (current?.spent) this.#replace(app, current);
    const held = app.starting ? null : app.hold.refusal("isolate", "isolate host");
    if (held) return Promise.reject(held);
    if (!app.starting) {
      const starting = this.#takeSpare(app.heapMb) ?? this.#startHost(app.heapMb, app.key);
      this.#keepSpares(refillMs);
      app.starting = starting.then(
        (process) => {
          app.process = process;
          app.starting = null;
          // Before it runs any of the app's code: a spare was started in Kiln's own group.
          app.cpuGroup = this.#cpu.join(app.appId, process.pid, process.exited);
          if (this.#closed) process.kill();
          return process;
        },
        (err) => {
          app.starting = null;
          throw err;
        },
      );
    }
    return app.starting;
  }

  /**
   * The app's host is spent (a worker it ended may still run): it ends by itself once its runs
   * are done, and the app's next host may have to wait (`ReplaceHold`).
   */
  #replace(app: AppHost, spent: IsolateHostProcess): void {
    app.process = null;
    this.#draining.add(spent);
    void spent.exited.then(() => this.#draining.delete(spent));
    app.hold.replaced();
    this.#log.warn("isolate host replaced: a worker it ended did not stop", {
      app: app.key,
      pid: spent.pid,
      streak: app.hold.streak,
    });
  }

  #startHost(heapMb: number, label: string): Promise<IsolateHostProcess> {
    return IsolateHostProcess.start({
      command: this.#command,
      memoryMb: heapMb,
      warm: this.#o.warmWorkers,
      maxWorkers: this.#o.workersPerApp,
      idleWorkerMs: this.#o.idleWorkerMs,
      startTimeoutMs: START_TIMEOUT_MS,
      onStray: (tail, bytes) =>
        this.#log.debug("isolate host stray output", { app: label, bytes, tail }),
    }).catch((err) => {
      throw err instanceof KilnError ? err : new KilnError(
        "TIER_UNAVAILABLE",
        `cannot start an isolate host: ${err instanceof Error ? err.message : err}`,
        { tier: "isolate" },
      );
    });
  }

  /**
   * A spare host for an app whose workers get `heapMb` (a started one if there is, else one still
   * starting), or null. Taken, it is the app's alone: it ran nothing before.
   */
  #takeSpare(heapMb: number): Promise<IsolateHostProcess> | null {
    if (heapMb !== SPARE_HEAP_MB) return null;
    let at = this.#spares.findIndex((s) => s.ready && !s.ready.dead);
    if (at < 0) at = this.#spares.findIndex((s) => !s.ready);
    if (at < 0) return null;
    return this.#spares.splice(at, 1)[0].host;
  }

  /** Keeps `spareHosts` spares started (after `delayMs`) for the next `idleMs`. */
  #keepSpares(delayMs: number): void {
    if (this.#closed || this.#o.spareHosts <= 0) return;
    clearTimeout(this.#spareExpiry);
    this.#spareExpiry = setTimeout(() => this.#dropSpares(), this.#o.idleMs);
    Deno.unrefTimer(this.#spareExpiry);
    // A fill already due sooner stands; one due later is brought forward.
    const at = performance.now() + delayMs;
    if (at >= this.#spareFillAt) return;
    clearTimeout(this.#spareFill);
    this.#spareFillAt = at;
    this.#spareFill = setTimeout(() => {
      this.#spareFill = undefined;
      this.#spareFillAt = Infinity;
      while (!this.#closed && this.#spares.length < this.#o.spareHosts) this.#startSpare();
    }, delayMs);
  }

  #startSpare(): void {
    const spare: Spare = { host: this.#startHost(SPARE_HEAP_MB, "spare"), ready: null };
    this.#spares.push(spare);
    this.#spareStarts.add(spare.host);
    const forget = () => {
      const at = this.#spares.indexOf(spare);
      if (at >= 0) this.#spares.splice(at, 1);
    };
    spare.host.then(
      (host) => {
        spare.ready = host;
        if (this.#closed) host.kill();
        void host.exited.then(forget);
      },
      (err) => {
        forget();
        this.#log.debug("a spare isolate host did not start", { error: String(err) });
      },
    ).finally(() => this.#spareStarts.delete(spare.host));
  }

  #dropSpares(): void {
    clearTimeout(this.#spareFill);
    this.#spareFill = undefined;
    this.#spareFillAt = Infinity;
    for (const spare of this.#spares.splice(0)) {
      void spare.host.then((host) => host.kill(), () => {});
    }
  }

  /**
   * The app went idle: its host is stopped once it has run nothing for `idleMs`. An execution's end
   * only notes the time; one timer per app, armed when none is, re-arms itself for what is left of
   * the idle period when it fires early, so an app served back to back sets no timer per request.
   */
  #scheduleIdle(app: AppHost): void {
    if (app.busy > 0 || this.#closed) return;
    app.idleSince = performance.now();
    if (app.idleTimer === undefined) this.#armIdle(app, this.#o.idleMs);
  }

  #armIdle(app: AppHost, ms: number): void {
    const timer = setTimeout(() => {
      app.idleTimer = undefined;
      // A running execution's end re-arms it.
      if (app.busy > 0 || this.#closed || this.#hosts.get(app.key) !== app) return;
      const left = app.idleSince + this.#o.idleMs - performance.now();
      if (left > 0) return this.#armIdle(app, left);
      this.#hosts.delete(app.key);
      app.leases.close();
      app.process?.kill();
    }, Math.max(0, ms));
    Deno.unrefTimer(timer);
    app.idleTimer = timer;
  }
}
