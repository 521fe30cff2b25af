import { type Clock, KilnError, type Logger, quote, SandboxTimeoutError } from "../../core/mod.ts";
import type { ContainerSpec, DockerApi } from "./docker_api.ts";
import { LABEL_INSTANCE, LABEL_MANAGED } from "./docker_api.ts";
import { type KilnInstance, LABEL_OWNER } from "./instance.ts";
import type { McpHandler } from "./_mcp_bridge.ts";
import { ContainerSandbox } from "./_sandbox.ts";

/** Everything one pool needs to know, resolved from a SandboxPoolConfig entry and tier defaults. */
export interface PoolSpec {
  appId: string;
  poolName: string;
  image: string;
  minInstances: number;
  maxInstances: number;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  tmpfsBytes: number;
  /** Network only when the app grants egress. */
  egress: boolean;
  /** Named volumes, `name:target[:ro]`. */
  volumes: string[];
  /** A container is replaced after this many executions... */
  maxExecutions: number;
  /** ...or once it is this old (ms). */
  maxAgeMs: number;
  /** Containers above `minInstances` idle this long are stopped. */
  idleTimeoutMs: number;
  /** How long `acquire` waits for a free container before OVERLOADED. */
  queueTimeoutMs: number;
  /** Waiters allowed; beyond it OVERLOADED at once. */
  maxQueue: number;
}

/** What every pool of one tier shares. */
export interface PoolContext {
  docker: DockerApi;
  instance: KilnInstance;
  socketRoot: string;
  mcp: McpHandler;
  clock: Clock;
  logger: Logger;
  readyTimeoutMs: number;
}

interface Waiter {
  resolve(sandbox: ContainerSandbox): void;
  reject(err: Error): void;
}

/**
 * A warm pool of runner containers for one (app, pool): at least `minInstances` started, at most
 * `maxInstances`, each running one execution at a time. Exhausted, `acquire` queues with a timeout
 * (OVERLOADED → 429). Containers are replaced when they fail a health check, crash, are killed,
 * or reach their execution count or age.
 */
export class ContainerPool {
  readonly #ctx: PoolContext;
  #spec: PoolSpec;
  readonly #idle: ContainerSandbox[] = [];
  readonly #busy = new Set<ContainerSandbox>();
  readonly #waiters: Waiter[] = [];
  #starting = 0;
  /** Starts in flight and removals under way, which close waits for. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;
  #startError: { message: string; at: number } | null = null;
  readonly #log: Logger;
  readonly kills: Record<string, number> = {};

  constructor(spec: PoolSpec, ctx: PoolContext) {
    this.#spec = spec;
    this.#ctx = ctx;
    this.#log = ctx.logger.with({ appId: spec.appId, pool: spec.poolName });
  }

  get spec(): PoolSpec {
    return this.#spec;
  }

  /** Takes a new configuration; containers of an older image are replaced as they come back. */
  update(spec: PoolSpec): void {
    const imageChanged = spec.image !== this.#spec.image ||
      spec.memoryBytes !== this.#spec.memoryBytes || spec.egress !== this.#spec.egress;
    this.#spec = spec;
    if (imageChanged) { for (const s of this.#idle.splice(0)) this.#discard(s, "reconfigured"); }
    this.topUp();
  }

  stats(): { live: number; busy: number; queued: number; idle: number; starting: number } {
    return {
      live: this.#idle.length + this.#busy.size,
      busy: this.#busy.size,
      queued: this.#waiters.length,
      idle: this.#idle.length,
      starting: this.#starting,
    };
  }

  /** Each live container with its state and age, for the admin panel's sandbox page. */
  containers(): { name: string; state: "idle" | "busy"; ageMs: number; executions: number }[] {
    const now = this.#ctx.clock.now();
    const row = (s: ContainerSandbox, state: "idle" | "busy") => ({
      name: s.name,
      state,
      ageMs: Math.max(0, now - s.createdAt),
      executions: s.executions,
    });
    return [
      ...[...this.#busy].map((s) => row(s, "busy")),
      ...this.#idle.map((s) => row(s, "idle")),
    ];
  }

  /** A container for one execution; release it with `release`. */
  acquire(signal?: AbortSignal): Promise<ContainerSandbox> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(this.#gone());
    const ready = this.#takeIdle();
    if (ready) return Promise.resolve(ready);
    const live = this.#idle.length + this.#busy.size + this.#starting;
    const startable = Math.max(0, this.#spec.maxInstances - live) + this.#starting;
    if (this.#waiters.length >= this.#spec.maxQueue + startable) {
      return Promise.reject(this.#overloaded("its queue is full"));
    }
    return new Promise<ContainerSandbox>((resolve, reject) => {
      // A waiter a starting container will serve is waiting on a cold start, not a full pool.
      const expire = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0 && at < this.#starting) return void (timer = setTimeout(expire, 250));
        drop();
        reject(this.#overloaded(`no container freed up within ${this.#spec.queueTimeoutMs} ms`));
      };
      let timer = setTimeout(expire, this.#spec.queueTimeoutMs);
      const onAbort = () => {
        drop();
        reject(this.#gone());
      };
      const waiter: Waiter = {
        resolve: (s) => (cleanup(), resolve(s)),
        reject: (e) => (cleanup(), reject(e)),
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const drop = () => {
        cleanup();
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  /** Gives a container back; `discard` (a reason) replaces it instead of reusing it. */
  release(sandbox: ContainerSandbox, discard?: string): void {
    this.#busy.delete(sandbox);
    sandbox.executions++;
    sandbox.lastUsed = this.#ctx.clock.now();
    const worn = this.#worn(sandbox);
    if (discard || worn || this.#closed || sandbox.image !== this.#spec.image) {
      this.#discard(sandbox, discard ?? worn ?? "reconfigured");
    } else this.#offer(sandbox);
    this.topUp();
  }

  /** Starts containers until `minInstances` are alive or starting (and one per waiter). */
  topUp(): void {
    if (this.#closed) return;
    const live = () => this.#idle.length + this.#busy.size + this.#starting;
    while (live() < this.#spec.minInstances) if (!this.#startOne()) break;
    this.#grow();
  }

  /**
   * One maintenance pass: health-checks idle containers through `/healthz`, replaces the failing
   * and the worn, stops containers idle past `idleTimeoutMs` above the minimum, then tops up.
   */
  async check(): Promise<void> {
    const now = this.#ctx.clock.now();
    for (const sandbox of [...this.#idle]) {
      const worn = this.#worn(sandbox);
      const idleTooLong = now - sandbox.lastUsed > this.#spec.idleTimeoutMs &&
        this.#idle.length + this.#busy.size > this.#spec.minInstances;
      if (worn || idleTooLong) {
        this.#removeIdle(sandbox);
        this.#discard(sandbox, worn ?? "idle");
        continue;
      }
      const ok = await sandbox.healthy().catch(() => false);
      if (!ok && this.#idle.includes(sandbox)) {
        this.#removeIdle(sandbox);
        this.#count("unhealthy");
        this.#log.warn("sandbox container failed its health check; replacing it", {
          container: sandbox.name,
        });
        this.#discard(sandbox, "unhealthy");
      }
    }
    this.topUp();
  }

  /** Stops every container; waiters and later acquires fail with TIER_UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(this.#closedError());
    await Promise.all([...this.#idle.splice(0), ...this.#busy].map((s) => s.destroy()));
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Counts a kill by reason (for the tier's stats). */
  #count(reason: string): void {
    this.kills[reason] = (this.kills[reason] ?? 0) + 1;
  }

  countKill(reason: string): void {
    this.#count(reason);
  }

  #worn(sandbox: ContainerSandbox): string | undefined {
    if (sandbox.executions >= this.#spec.maxExecutions) return "recycled after its executions";
    if (this.#ctx.clock.now() - sandbox.createdAt >= this.#spec.maxAgeMs) return "recycled by age";
    return undefined;
  }

  #takeIdle(): ContainerSandbox | undefined {
    while (this.#idle.length > 0) {
      const sandbox = this.#idle.shift()!;
      if (sandbox.destroyed) continue;
      const worn = this.#worn(sandbox);
      if (worn) {
        this.#discard(sandbox, worn);
        this.topUp();
        continue;
      }
      this.#busy.add(sandbox);
      return sandbox;
    }
    return undefined;
  }

  #removeIdle(sandbox: ContainerSandbox): void {
    const i = this.#idle.indexOf(sandbox);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  #offer(sandbox: ContainerSandbox): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#busy.add(sandbox);
      waiter.resolve(sandbox);
    } else this.#idle.push(sandbox);
  }

  #discard(sandbox: ContainerSandbox, why: string): void {
    this.#log.debug("removing sandbox container", { container: sandbox.name, why });
    const removal = sandbox.destroy().catch(() => {});
    this.#inFlight.add(removal);
    removal.finally(() => this.#inFlight.delete(removal));
  }

  /** Starts containers for waiters, within `maxInstances`. */
  #grow(): void {
    if (this.#closed) return;
    const live = () => this.#idle.length + this.#busy.size + this.#starting;
    while (this.#waiters.length > this.#starting && live() < this.#spec.maxInstances) {
      if (!this.#startOne()) break;
    }
  }

  #startOne(): boolean {
    const backoff = this.#startError && this.#ctx.clock.now() - this.#startError.at < 1_000;
    if (backoff) {
      this.#failWaiters();
      return false;
    }
    this.#starting++;
    const spec = this.#spec;
    const name = `kiln-${this.#ctx.instance.id.slice(0, 8)}-${crypto.randomUUID().slice(0, 12)}`;
    const container: Omit<ContainerSpec, "socketDir"> = {
      name,
      image: spec.image,
      labels: {
        [LABEL_MANAGED]: "true",
        [LABEL_INSTANCE]: this.#ctx.instance.id,
        [LABEL_OWNER]: this.#ctx.instance.owner,
        "kiln.app": spec.appId,
        "kiln.pool": spec.poolName,
      },
      env: [`KILN_GUEST_MEMORY_MB=128`],
      user: "10001:10001",
      volumes: spec.volumes,
      memoryBytes: spec.memoryBytes,
      nanoCpus: spec.nanoCpus,
      pidsLimit: spec.pidsLimit,
      tmpfsBytes: spec.tmpfsBytes,
      network: spec.egress,
    };
    const starting = ContainerSandbox.start(container, {
      docker: this.#ctx.docker,
      root: this.#ctx.socketRoot,
      mcp: this.#ctx.mcp,
      now: this.#ctx.clock.now(),
      readyTimeoutMs: this.#ctx.readyTimeoutMs,
    }).then(
      (sandbox) => {
        this.#starting--;
        this.#startError = null;
        sandbox.image = spec.image;
        if (this.#closed) return sandbox.destroy();
        this.#offer(sandbox);
        this.#grow();
      },
      (err) => {
        this.#starting--;
        const message = err instanceof Error ? err.message : String(err);
        this.#startError = { message, at: this.#ctx.clock.now() };
        this.#log.warn("cannot start a sandbox container", { image: spec.image, error: message });
        this.#failWaiters();
      },
    );
    this.#inFlight.add(starting);
    starting.finally(() => this.#inFlight.delete(starting)).catch(() => {});
    return true;
  }

  /** With nothing alive or starting and the last start failed, waiters learn why at once. */
  #failWaiters(): void {
    if (!this.#startError || this.#starting > 0 || this.#busy.size > 0) return;
    const err = new KilnError(
      "TIER_UNAVAILABLE",
      `cannot start containers for pool ${quote(this.#spec.poolName)}: ${this.#startError.message}`,
      { tier: "container", appId: this.#spec.appId, image: this.#spec.image },
    );
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  #overloaded(why: string): KilnError {
    return new KilnError(
      "OVERLOADED",
      `the container pool ${
        quote(`${this.#spec.appId}/${this.#spec.poolName}`)
      } is exhausted: ${why}`,
      { tier: "container", maxInstances: this.#spec.maxInstances },
    );
  }

  #gone(): KilnError {
    return new SandboxTimeoutError("the caller went away while the execution was queued", {
      tier: "container",
      aborted: true,
    });
  }

  #closedError(): KilnError {
    return new KilnError("TIER_UNAVAILABLE", "the container tier is closed", { tier: "container" });
  }
}
