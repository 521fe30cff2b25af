import { KilnError, quote } from "../../core/mod.ts";
import type { PoolDetails } from "../overview.ts";
import type { SandboxPool } from "../../models/mod.ts";
import type { ContainerPool, PoolSpec } from "./container_pool.ts";
import { DENO_RUNNER_IMAGE, PYTHON_RUNNER_IMAGE, type RunnerKind } from "./images.ts";
import { parseMemory, POOL_DEFAULTS } from "./pool_defaults.ts";

/** What a pool set is built from: spec defaults, runner images, and how a pool is started. */
export interface PoolSetOptions {
  /** Defaults for every pool (app pools override image, instances, CPU and memory). */
  poolDefaults?: Partial<Omit<PoolSpec, "appId" | "poolName">>;
  images?: Partial<Record<RunnerKind, string>>;
  /** Starts a pool for `spec` (the tier hands it Docker, sockets and the MCP bridge). */
  create(spec: PoolSpec): ContainerPool;
}

/**
 * The container tier's pools: what each app configured (its SandboxPoolConfig) and the pools
 * running for it, keyed by `app/pool`. Kiln's own `kiln-deno` and `kiln-python` pools exist
 * for every app on first use; app pools only while the app configures them.
 */
export class PoolSet {
  readonly #pools = new Map<string, ContainerPool>();
  readonly #appPools = new Map<string, SandboxPool[]>();
  readonly #o: PoolSetOptions;

  constructor(opts: PoolSetOptions) {
    this.#o = opts;
  }

  /** The pools an app configured, in its order (empty when none). */
  configured(appId: string): SandboxPool[] {
    return this.#appPools.get(appId) ?? [];
  }

  /** Records an app's pools, or forgets the app (null) and closes every pool it had. */
  setAppPools(appId: string, pools: SandboxPool[] | null): void {
    if (pools) {
      this.#appPools.set(appId, pools);
      return;
    }
    this.#appPools.delete(appId);
    for (const [k, pool] of this.#pools) {
      if (pool.spec.appId !== appId) continue;
      this.#pools.delete(k);
      pool.close().catch(() => {});
    }
  }

  /** Makes the running pools follow the configured ones: new pools start, removed ones close. */
  reconcile(): void {
    for (const [appId, pools] of this.#appPools) {
      for (const p of pools) {
        const spec = this.#specFor(appId, p.poolName);
        const existing = this.#pools.get(key(appId, p.poolName));
        if (existing) existing.update(spec);
        else this.#pools.set(key(appId, p.poolName), this.#start(spec));
      }
    }
    for (const [k, pool] of this.#pools) {
      const { appId, poolName } = pool.spec;
      if (poolName.startsWith("kiln-")) continue;
      if (!this.#appPools.get(appId)?.some((p) => p.poolName === poolName)) {
        this.#pools.delete(k);
        pool.close().catch(() => {});
      }
    }
  }

  /** The pool of (app, pool), started on first use; TIER_UNAVAILABLE for a pool not configured. */
  poolFor(appId: string, poolName: string): ContainerPool {
    const k = key(appId, poolName);
    let pool = this.#pools.get(k);
    if (!pool) {
      const configured = this.#appPools.get(appId)?.some((p) => p.poolName === poolName);
      if (!configured && !poolName.startsWith("kiln-")) {
        throw new KilnError(
          "TIER_UNAVAILABLE",
          `app ${quote(appId)} has no pool ${quote(poolName)}`,
          {
            tier: "container",
          },
        );
      }
      pool = this.#start(this.#specFor(appId, poolName));
      this.#pools.set(k, pool);
    }
    return pool;
  }

  /** Every running pool. */
  pools(): IterableIterator<ContainerPool> {
    return this.#pools.values();
  }

  /** Per-pool counters by `app/pool`, for tests and the admin view. */
  stats(): Record<string, ReturnType<ContainerPool["stats"]>> {
    return Object.fromEntries([...this.#pools].map(([k, p]) => [k, p.stats()]));
  }

  /** Every pool with its spec, counters and containers, for the admin panel. */
  details(): PoolDetails[] {
    return [...this.#pools.values()].map((p) => ({
      appId: p.spec.appId,
      poolName: p.spec.poolName,
      image: p.spec.image,
      minInstances: p.spec.minInstances,
      maxInstances: p.spec.maxInstances,
      stats: p.stats(),
      containers: p.containers(),
    }));
  }

  /** Closes every pool and forgets them. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
  }

  #specFor(appId: string, poolName: string): PoolSpec {
    const images = {
      deno: this.#o.images?.deno ?? DENO_RUNNER_IMAGE,
      python: this.#o.images?.python ?? PYTHON_RUNNER_IMAGE,
    };
    const base = { ...POOL_DEFAULTS, ...this.#o.poolDefaults };
    const configured = this.#appPools.get(appId)?.find((p) => p.poolName === poolName);
    if (!configured) {
      const image = poolName === "kiln-python" ? images.python : images.deno;
      return { ...base, appId, poolName, image: base.image ?? image };
    }
    return {
      ...base,
      appId,
      poolName,
      image: configured.dockerImage,
      minInstances: configured.minInstances,
      maxInstances: configured.maxInstances,
      memoryBytes: parseMemory(configured.resourceLimits.memoryLimit),
      nanoCpus: Math.round(configured.resourceLimits.cpuLimit * 1e9),
      egress: configured.egress,
      volumes: configured.volumeMounts.map((v) =>
        `kiln-${appId}-${v.name}:${v.target}${v.readOnly ? ":ro" : ""}`
      ),
    };
  }

  #start(spec: PoolSpec): ContainerPool {
    const pool = this.#o.create(spec);
    pool.topUp();
    return pool;
  }
}

function key(appId: string, poolName: string): string {
  return `${appId}/${poolName}`;
}
