/**
 * A bounded set of workers handed out one execution at a time. The size is the tier's
 * concurrency cap; beyond it executions wait in a bounded queue for a bounded time and are then
 * refused with OVERLOADED (429), so a burst cannot pile up work Kiln will never finish. Workers
 * start on demand, and a dead one is replaced when someone is waiting for it.
 *
 * With `share`, a busy member may also take the next execution in line to run after its current
 * one (a tier that can queue work inside a member): only the first in line, so sharing never lets
 * anyone overtake a waiter, and only at two holders per member.
 *
 * With `longRunMs`, a pool that several apps share (executions acquired with a tenant) is fair
 * between them (ADR 0036): a member that comes free goes to the first waiter of the tenant holding
 * the fewest, and a tenant that holds one already takes the pool's last free member only while
 * its runs are short. One app's slow runs then never hold every member while another app waits.
 */
import { KilnError, SandboxTimeoutError } from "../core/mod.ts";
import type { TierName } from "./tier.ts";
import { Deadlines } from "./_deadlines.ts";

/** What the pool needs of a worker. */
export interface PoolMember {
  readonly dead: boolean;
  terminate(): void;
}

export interface PoolOptions<W> {
  /** The tier the pool belongs to, for its error messages and details. */
  tier: TierName;
  /** What a member is called in messages ("QuickJS", "the isolate host"). */
  what: string;
  size: number;
  maxQueue: number;
  queueTimeoutMs: number;
  /**
   * How long a waiter that a starting member will serve may wait (default `queueTimeoutMs`): a
   * cold pool's first executions wait for the start, not for someone else's work.
   */
  startTimeoutMs?: number;
  spawn: () => Promise<W>;
  /** Whether an execution with `ticket` may run on `member` after the one holding it (`held`). */
  share?: (member: W, held: unknown, ticket: unknown) => boolean;
  /**
   * Runs this long or longer are long: a tenant whose last run was, or who has one running that
   * long (or has not finished one yet), takes the last free member only if it holds none.
   */
  longRunMs?: number;
}

/** An app's share of a pool that is fair between apps. */
interface Tenant {
  /** Members it holds. */
  held: number;
  /** How long its last run held its member (Infinity until one ended). */
  lastRunMs: number;
}

/** A busy member: the ticket that took it first, its holders, and whose it is since when. */
interface Busy {
  held: unknown;
  holders: number;
  tenant: Tenant | undefined;
  since: number;
}

/** Tenants a pool remembers before it forgets those holding nothing. */
const MAX_TENANTS = 1024;

/**
 * An execution waiting for a worker. A class rather than closures: under load most executions
 * wait here, and what lives that long is what the young generation's collections copy. It is its
 * own abort listener (`handleEvent`): the caller going away takes it out of the line.
 */
class Waiter<W> implements EventListenerObject {
  readonly #settle: PromiseWithResolvers<W>;
  /** Called by the deadline: refused for waiting too long. */
  readonly expire = () => this.reject(this.#overloaded());

  constructor(
    readonly ticket: unknown,
    readonly tenant: Tenant | undefined,
    readonly signal: AbortSignal | undefined,
    readonly waitMs: number,
    readonly tier: TierName,
    /** Takes it out of the pool's line and its deadline. */
    readonly leave: (waiter: Waiter<W>) => void,
  ) {
    this.#settle = Promise.withResolvers<W>();
  }

  get promise(): Promise<W> {
    return this.#settle.promise;
  }

  resolve(worker: W): void {
    this.leave(this);
    this.#settle.resolve(worker);
  }

  reject(err: Error): void {
    this.leave(this);
    this.#settle.reject(err);
  }

  /** The caller went away. */
  handleEvent(): void {
    this.reject(
      new SandboxTimeoutError("the caller went away while the execution was queued", {
        tier: this.tier,
        aborted: true,
      }),
    );
  }

  #overloaded(): KilnError {
    return queueTimedOut(this.tier, this.waitMs);
  }
}

/**
 * The error of an execution that waited its queue timeout for a sandbox, in the pool's queue or in
 * a place the tier keeps of its own (an isolate host's), so the caller sees one answer.
 */
export function queueTimedOut(tier: TierName, queueTimeoutMs: number): KilnError {
  return new KilnError(
    "OVERLOADED",
    `the ${tier} tier is busy: no sandbox became free within ${queueTimeoutMs} ms`,
    { tier, queueTimeoutMs },
  );
}

/** A pool of threads in Kiln's process: one per core, 2 to 8. */
export const THREADS_PER_POOL = Math.max(2, Math.min(8, navigator.hardwareConcurrency ?? 4));

/** How long a failed start keeps the tier refused before an execution tries again. */
const SPAWN_RETRY_MS = 2_000;

export class WorkerPool<W extends PoolMember> {
  readonly #idle: W[] = [];
  /** Busy members and the ticket of the execution that took each first. */
  readonly #busy = new Map<W, Busy>();
  readonly #tenants = new Map<string, Tenant>();
  readonly #waiters: Waiter<W>[] = [];
  /** The waiters' queue timeouts, on one timer. */
  readonly #queueDeadlines = new Deadlines();
  #spawning = 0;
  #closed = false;
  #spawnError: string | null = null;
  #spawnErrorAt = -Infinity;

  constructor(private readonly opts: PoolOptions<W>) {}

  /**
   * Why workers cannot start, while none is alive; null otherwise. A failure is reported for
   * `SPAWN_RETRY_MS` only: a start that missed its deadline on a loaded machine must not refuse
   * the tier for good, so the next execution after that tries again.
   */
  get spawnError(): string | null {
    if (this.#idle.length + this.#busy.size > 0) return null;
    return performance.now() - this.#spawnErrorAt < SPAWN_RETRY_MS ? this.#spawnError : null;
  }

  stats(): { live: number; busy: number; queued: number } {
    return {
      live: this.#idle.length + this.#busy.size,
      busy: this.#busy.size,
      queued: this.#waiters.length,
    };
  }

  /** Starts workers up to the pool size, so the first executions do not pay for it. */
  warm(): void {
    while (!this.#closed && this.#live() < this.opts.size) this.#spawn();
  }

  /**
   * A worker for one execution; give it back with `release`. `ticket` says what the execution is,
   * for `share`; `tenant`, whose it is (its app), for fairness (`longRunMs`).
   */
  acquire(signal?: AbortSignal, ticket?: unknown, tenant?: string): Promise<W> {
    if (this.#closed) return Promise.reject(closedError(this.opts.tier));
    const share = this.#tenantOf(tenant);
    if (this.#mayTake(share)) {
      for (let worker = this.#idle.pop(); worker; worker = this.#idle.pop()) {
        if (worker.dead) continue;
        this.#take(worker, ticket, share);
        return Promise.resolve(worker);
      }
    }
    if (this.#waiters.length === 0) {
      for (const worker of this.#busy.keys()) {
        if (this.#share(worker, ticket)) return Promise.resolve(worker);
      }
    }
    // Waiters a starting (or yet to start) member will serve are not queued behind busy ones.
    const starting = this.opts.size - this.#idle.length - this.#busy.size;
    if (this.#waiters.length >= this.opts.maxQueue + Math.max(0, starting)) {
      return Promise.reject(
        new KilnError(
          "OVERLOADED",
          `the ${this.opts.tier} tier is busy: ${this.opts.maxQueue} executions are already waiting`,
          { tier: this.opts.tier, queued: this.#waiters.length },
        ),
      );
    }
    const willStart = this.#waiters.length < this.opts.size - this.#idle.length - this.#busy.size;
    const waitMs = willStart
      ? Math.max(this.opts.queueTimeoutMs, this.opts.startTimeoutMs ?? 0)
      : this.opts.queueTimeoutMs;
    const waiter = new Waiter<W>(ticket, share, signal, waitMs, this.opts.tier, this.#leave);
    this.#queueDeadlines.set(waiter, waitMs, waiter.expire);
    signal?.addEventListener("abort", waiter);
    this.#waiters.push(waiter);
    if (this.#live() < this.opts.size) this.#spawn();
    return waiter.promise;
  }

  /** A waiter is done waiting (given a worker or refused). */
  readonly #leave = (waiter: Waiter<W>) => {
    this.#queueDeadlines.clear(waiter);
    waiter.signal?.removeEventListener("abort", waiter);
    const at = this.#waiters.indexOf(waiter);
    if (at >= 0) this.#waiters.splice(at, 1);
  };

  /** Takes a worker back; a dead one is dropped and replaced if anyone is waiting. */
  release(worker: W): void {
    const busy = this.#busy.get(worker);
    if (busy?.tenant) this.#ended(busy);
    if (busy && busy.holders > 1) {
      busy.holders--;
      return this.#shareWithNext(worker);
    }
    this.#busy.delete(worker);
    if (busy?.tenant) busy.tenant.held--;
    if (this.#closed) return worker.terminate();
    if (worker.dead) {
      if (this.#waiters.length > 0 && this.#live() < this.opts.size) this.#spawn();
      return;
    }
    this.#offer(worker);
  }

  /** Terminates every worker and refuses the queue. */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) waiter.reject(closedError(this.opts.tier));
    for (const worker of [...this.#idle, ...this.#busy.keys()]) worker.terminate();
    this.#idle.length = 0;
  }

  #live(): number {
    return this.#idle.length + this.#busy.size + this.#spawning;
  }

  #offer(worker: W): void {
    const waiter = this.#next();
    if (!waiter) return void this.#idle.push(worker);
    this.#take(worker, waiter.ticket, waiter.tenant);
    waiter.resolve(worker);
    this.#shareWithNext(worker);
  }

  #take(worker: W, ticket: unknown, tenant: Tenant | undefined): void {
    const since = tenant ? (tenant.held++, performance.now()) : 0;
    this.#busy.set(worker, { held: ticket, holders: 1, tenant, since });
  }

  /** A run on a busy member ended: its time is its tenant's last run. */
  #ended(busy: Busy): void {
    const now = performance.now();
    busy.tenant!.lastRunMs = now - busy.since;
    busy.since = now;
  }

  #tenantOf(key: string | undefined): Tenant | undefined {
    if (key === undefined || this.opts.longRunMs === undefined) return undefined;
    let tenant = this.#tenants.get(key);
    if (!tenant) {
      if (this.#tenants.size >= MAX_TENANTS) {
        for (const [k, t] of this.#tenants) if (t.held === 0) this.#tenants.delete(k);
      }
      tenant = { held: 0, lastRunMs: Infinity };
      this.#tenants.set(key, tenant);
    }
    return tenant;
  }

  /** Whether `tenant` may take a free member now (see `longRunMs`). */
  #mayTake(tenant: Tenant | undefined): boolean {
    if (!tenant || tenant.held === 0 || this.opts.size - this.#busy.size > 1) return true;
    const longMs = this.opts.longRunMs!;
    if (!(tenant.lastRunMs < longMs)) return false;
    const now = performance.now();
    for (const busy of this.#busy.values()) {
      if (busy.tenant === tenant && now - busy.since >= longMs) return false;
    }
    return true;
  }

  /**
   * Who gets a member that came free: the first in line, or in a fair pool the first waiter that
   * may take it of the tenant holding the fewest.
   */
  #next(): Waiter<W> | undefined {
    const first = this.#waiters[0];
    if (!first || !first.tenant) return first;
    let best: Waiter<W> | undefined;
    let seen: Tenant | undefined;
    for (const waiter of this.#waiters) {
      const tenant = waiter.tenant!;
      // Waiters of one tenant stand in a row under load: each tenant is judged once per row.
      if (tenant === seen || (best && tenant.held >= best.tenant!.held)) continue;
      seen = tenant;
      if (!this.#mayTake(tenant)) continue;
      if (tenant.held === 0) return waiter;
      best = waiter;
    }
    return best;
  }

  /** Gives the first in line the second place on `worker`, if the tier allows it. */
  #shareWithNext(worker: W): void {
    const next = this.#waiters[0];
    if (next && this.#share(worker, next.ticket)) next.resolve(worker);
  }

  /** Makes `worker` a second holder's if the tier allows it for `ticket`. */
  #share(worker: W, ticket: unknown): boolean {
    const busy = this.#busy.get(worker);
    if (!this.opts.share || ticket === undefined || !busy || busy.holders !== 1) return false;
    if (worker.dead || !this.opts.share(worker, busy.held, ticket)) return false;
    busy.holders = 2;
    return true;
  }

  #spawn(): void {
    this.#spawning++;
    this.opts.spawn().then(
      (worker) => {
        this.#spawning--;
        this.#spawnError = null;
        if (this.#closed) return worker.terminate();
        this.#offer(worker);
      },
      (err) => {
        this.#spawning--;
        this.#spawnError = err instanceof Error ? err.message : String(err);
        this.#spawnErrorAt = performance.now();
        if (this.#live() > 0) return;
        const failure = new KilnError(
          "TIER_UNAVAILABLE",
          `the ${this.opts.tier} tier cannot start ${this.opts.what}: ${this.#spawnError}`,
          { tier: this.opts.tier },
        );
        for (const waiter of [...this.#waiters]) waiter.reject(failure);
      },
    );
  }
}

function closedError(tier: TierName): KilnError {
  return new KilnError("TIER_UNAVAILABLE", `the ${tier} tier is closed`, { tier });
}
