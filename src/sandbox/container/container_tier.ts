import { type Clock, KilnError, type Logger, quote, systemClock } from "../../core/mod.ts";
import type { ExecuteResponse, SandboxPool } from "../../models/mod.ts";
import type { PoolDetails, TierDetails } from "../overview.ts";
import type { ExecutionJob, TierDriver, TierStats } from "../tier.ts";
import type { DockerApi } from "./docker_api.ts";
import type { RunnerKind } from "./images.ts";
import { currentInstance, type KilnInstance, removeOrphans, removeOwn } from "./instance.ts";
import { ContainerPool, type PoolSpec } from "./container_pool.ts";
import { PoolSet } from "./pool_set.ts";
import {
  allowlistFrom,
  checkCommand,
  type CommandInput,
  type CommandOutput,
  DEFAULT_COMMAND_TIMEOUT_S,
  MAX_COMMAND_OUTPUT,
} from "./command.ts";
import { forwardTo, hostBridge, type McpHandler } from "./_mcp_bridge.ts";
import type { ContainerSandbox } from "./_sandbox.ts";
import { executeResponse, killError, MAX_DEPTH, readExecuteAnswer } from "./_answer.ts";
import { guestMemory, memoryKillText } from "./guest_memory.ts";

export interface ContainerTierOptions {
  docker: DockerApi;
  logger: Logger;
  /** Where the per-container socket directories go (bind-mounted at `/kiln`); keep it short. */
  socketRoot: string;
  clock?: Clock;
  /**
   * Kiln's `/mcp` handler; container tool calls are forwarded to it with the execution's token.
   * Without it they run through the execution's own host (same token, same authorization).
   */
  mcpHandler?: (req: Request) => Promise<Response>;
  /** Defaults for every pool (app pools override image, instances, CPU and memory). */
  poolDefaults?: Partial<Omit<PoolSpec, "appId" | "poolName">>;
  images?: Partial<Record<RunnerKind, string>>;
  /** Health checks, idle stops and reconcile, every this many ms (0 = only when called). */
  maintenanceIntervalMs?: number;
  /** How long past its deadline a silent runner is given before its container is removed. */
  graceMs?: number;
  readyTimeoutMs?: number;
  /** Remove containers of dead Kiln instances on start (default true). */
  removeOrphans?: boolean;
  instance?: KilnInstance;
}

/**
 * The container tier (contract §5): esm JavaScript and Python run in Docker containers from warm
 * pools, one execution per container at a time, each in a fresh guest process the runner starts.
 * Kiln talks to a container only over two Unix sockets in its bind-mounted directory: it POSTs
 * `/execute` to the runner's, and serves `/mcp` on the other for the running execution's token.
 * Containers have no network (unless the app grants egress), a read-only root, a tmpfs `/tmp`,
 * CPU, memory and pids limits, no capabilities, no-new-privileges and a non-root user.
 */
export class ContainerTier implements TierDriver {
  readonly name = "container" as const;
  /** Every task runs in a fresh guest process inside the container. */
  readonly reuse = "none" as const;
  readonly accepts = { javascript: "esm", python: true } as const;
  readonly instance: KilnInstance;
  readonly #docker: DockerApi;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pools: PoolSet;
  readonly #opts: ContainerTierOptions;
  readonly #mcp: McpHandler;
  readonly #shutdown = new AbortController();
  readonly #kills: Record<string, number> = {};
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  #unavailable: string | null = null;
  #started: Promise<void>;
  /** This instance's own directory under `socketRoot`: removed whole on close. */
  readonly #socketDir: string;

  constructor(opts: ContainerTierOptions) {
    this.#opts = opts;
    this.#docker = opts.docker;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.with({ component: "sandbox", tier: "container" });
    this.instance = opts.instance ?? currentInstance();
    this.#mcp = opts.mcpHandler ? forwardTo(opts.mcpHandler) : hostBridge;
    this.#socketDir = `${opts.socketRoot}/${this.instance.id.slice(0, 8)}`;
    this.#pools = new PoolSet({
      poolDefaults: opts.poolDefaults,
      images: opts.images,
      create: (spec) =>
        new ContainerPool(spec, {
          docker: this.#docker,
          instance: this.instance,
          socketRoot: this.#socketDir,
          mcp: this.#mcp,
          clock: this.#clock,
          logger: this.#log,
          readyTimeoutMs: opts.readyTimeoutMs ?? 20_000,
        }),
    });
    this.#started = this.#start();
    this.#started.catch((err) => {
      this.#unavailable = `the container tier cannot start: ${(err as Error).message ?? err}`;
    });
    const every = opts.maintenanceIntervalMs ?? 10_000;
    if (every > 0) {
      const timer = setInterval(() => this.maintain().catch(() => {}), every);
      Deno.unrefTimer(timer as unknown as number);
      this.#timer = timer;
    }
  }

  async #start(): Promise<void> {
    await Deno.mkdir(this.#socketDir, { recursive: true, mode: 0o755 });
    if (this.#opts.removeOrphans ?? true) {
      const removed = await removeOrphans(this.#docker, this.instance).catch((err) => {
        this.#log.warn("orphan cleanup failed", { error: String(err) });
        return [];
      });
      if (removed.length) this.#log.info("removed orphaned sandbox containers", { removed });
    }
  }

  /** The Docker client the tier uses. */
  get docker(): DockerApi {
    return this.#docker;
  }

  /** Resolves once start-up (orphan removal) is done. */
  ready(): Promise<void> {
    return this.#started;
  }

  unavailableReason(): string | null {
    if (this.#closed) return "the container tier is closed";
    return this.#unavailable;
  }

  /** Marks the tier down (e.g. Docker stopped answering) or up again (null). */
  setUnavailable(reason: string | null): void {
    this.#unavailable = reason;
  }

  /**
   * The pools an app asks for (its SandboxPoolConfig), or null when the app is gone: its pools
   * are closed. The reconcile pass creates, resizes and removes pools to match.
   */
  setAppPools(appId: string, pools: SandboxPool[] | null): void {
    this.#pools.setAppPools(appId, pools);
    this.reconcile();
  }

  /** Makes the running pools follow the configured ones: new pools start, removed ones close. */
  reconcile(): void {
    if (this.#closed) return;
    this.#pools.reconcile();
  }

  /** One maintenance pass over every pool (health, recycling, idle stops, minimums). */
  async maintain(): Promise<void> {
    try {
      await this.#docker.ping();
      if (this.#unavailable?.startsWith("docker")) this.#unavailable = null;
    } catch (err) {
      this.#unavailable = `docker is not reachable: ${(err as Error).message ?? err}`;
      return;
    }
    this.reconcile();
    await Promise.all([...this.#pools.pools()].map((p) => p.check()));
  }

  /** A container of the app's pool for one job (AllocateSandbox); give it back with `release`. */
  async allocate(
    appId: string,
    poolName: string,
    signal?: AbortSignal,
  ): Promise<{ sandbox: ContainerSandbox; pool: ContainerPool }> {
    if (this.#closed) throw new KilnError("TIER_UNAVAILABLE", "the container tier is closed");
    await this.#started;
    const pool = this.#pools.poolFor(appId, poolName);
    return { sandbox: await pool.acquire(signal), pool };
  }

  /** ReleaseSandbox: `discard` names why the container must not be reused. */
  release(lease: { sandbox: ContainerSandbox; pool: ContainerPool }, discard?: string): void {
    lease.pool.release(lease.sandbox, discard);
  }

  /** The pool a job runs in: the component's `targetPoolName`, else the app's default pool. */
  poolNameFor(job: ExecutionJob): string {
    const t = job.request.taskDetails as { targetPoolName?: unknown; poolName?: unknown };
    const named = typeof t.targetPoolName === "string" ? t.targetPoolName : t.poolName;
    const configured = this.#pools.configured(job.request.context.appId);
    if (typeof named === "string" && configured.some((p) => p.poolName === named)) return named;
    return job.code.kind === "python" ? "kiln-python" : "kiln-deno";
  }

  async execute(job: ExecutionJob): Promise<ExecuteResponse> {
    if (this.#closed) throw new KilnError("TIER_UNAVAILABLE", "the container tier is closed");
    const { code, request, limits } = job;
    let language: "javascript" | "python";
    if (code.kind === "javascript" && code.format === "esm") language = "javascript";
    else if (code.kind === "python") language = "python";
    else {
      const kind = code.kind === "javascript" ? `${code.format} JavaScript` : code.kind;
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `the container tier runs esm JavaScript bundles and Python, not ${quote(kind)}`,
        { tier: "container" },
      );
    }
    const lease = await this.allocate(request.context.appId, this.poolNameFor(job), job.signal);
    const memory = guestMemory(limits.memoryMb, lease.pool.spec.memoryBytes, language);
    const grace = this.#opts.graceMs ?? 2_000;
    const deadline = AbortSignal.timeout(limits.timeoutMs + grace);
    const signals = [deadline, this.#shutdown.signal, ...(job.signal ? [job.signal] : [])];
    const started = performance.now();
    let discard: string | undefined;
    try {
      const raw = await lease.sandbox.postRaw(
        "/execute",
        {
          ...request,
          code: { language, source: code.source, entry: code.entry },
          limits: { ...limits, memoryMb: memory.memoryMb },
          maxJsonDepth: MAX_DEPTH,
        },
        AbortSignal.any(signals),
        { token: request.context.mcp_token, host: job.host },
        limits.maxOutputBytes * 2 + (4 << 20),
      ).catch(async (err) => {
        discard = "transport failure";
        if (err instanceof KilnError) throw err;
        throw await this.#transportError(job, lease, err, { deadline, started });
      });
      const body = readExecuteAnswer(job, raw.text);
      if (typeof body.recycle === "string") {
        discard = `unhealthy: ${body.recycle}`;
        lease.pool.countKill("unhealthy");
        this.#log.warn("sandbox container could not be cleaned; replacing it", {
          container: lease.sandbox.name,
          why: body.recycle,
        });
      }
      if (raw.status === 200) return executeResponse(job, body, started);
      const error = (body.error ?? {}) as {
        code?: string;
        message?: string;
        details?: { reason?: string; limit?: string; governedBy?: "component" | "pool" };
      };
      const reason = error.details?.reason;
      if (raw.status === 429) {
        discard = "runner busy";
        throw new KilnError("OVERLOADED", "the sandbox runner is busy", { tier: "container" });
      }
      if (reason) {
        // The runner answered, so it has cleaned up after the guest: the container is reusable.
        const { limit, governedBy } = error.details ?? {};
        if (limit === "json.depth") {
          throw killError(job, reason, error.message ?? "", { limit }, {
            output: `returned a result nested more than ${MAX_DEPTH} levels deep`,
          });
        }
        if (reason !== "memory") throw killError(job, reason, error.message ?? "");
        const by = governedBy === "pool" || memory.governedBy === "pool" ? "pool" : "component";
        const pool = quote(`${lease.pool.spec.appId}/${lease.pool.spec.poolName}`);
        throw killError(job, reason, error.message ?? "", {
          governedBy: by,
          memoryMb: memory.memoryMb,
          containerMemoryMb: memory.containerMb,
        }, { memory: memoryKillText(memory, pool, by) });
      }
      discard = `runner answered ${raw.status}`;
      throw new KilnError("BAD_GATEWAY", `the sandbox runner answered ${raw.status}`, {
        tier: "container",
        error,
      });
    } catch (err) {
      const reason = (err as { details?: { reason?: unknown } }).details?.reason;
      const killed = err instanceof KilnError &&
        (err.code === "SANDBOX_KILLED" || err.code === "EXECUTION_TIMEOUT");
      if (killed && typeof reason === "string") {
        this.#kills[reason] = (this.#kills[reason] ?? 0) + 1;
        lease.pool.countKill(reason);
      }
      throw err;
    } finally {
      this.release(lease, discard);
    }
  }

  /** Why a POST to the runner failed: deadline, caller gone, shutdown, or the container died. */
  async #transportError(
    job: ExecutionJob,
    lease: { sandbox: ContainerSandbox; pool: ContainerPool },
    err: unknown,
    o: { deadline: AbortSignal; started: number },
  ): Promise<KilnError> {
    if (this.#closed || this.#shutdown.signal.aborted) {
      return killError(job, "shutdown", "");
    }
    if (job.signal?.aborted) {
      return killError(job, "timeout", "", { aborted: true });
    }
    if (o.deadline.aborted) {
      return killError(job, "timeout", "the runner did not answer by the deadline");
    }
    const state = await this.#docker.inspect(lease.sandbox.id).catch(() => null);
    const reason = state?.oomKilled ? "memory" : "crash";
    const detail = state
      ? `the container ${state.running ? "dropped the request" : `exited (${state.exitCode})`}`
      : "the container is gone";
    this.#log.warn("sandbox container failed mid-request", {
      container: lease.sandbox.name,
      requestId: job.request.requestId,
      detail,
      error: String(err),
    });
    return killError(job, reason, detail);
  }

  /**
   * `core.linux.executeCommand` (contract §6) in one of the app's containers (its first configured
   * pool, else its default Deno pool): an exact allowlisted path, no shell, a clean environment,
   * the sandbox's non-root user, a timeout (exit code 124) and capped stdout and stderr.
   */
  async executeCommand(
    appId: string,
    input: CommandInput,
    allowlist: readonly string[],
    signal?: AbortSignal,
  ): Promise<CommandOutput> {
    allowlist = allowlistFrom(allowlist);
    checkCommand(input, allowlist);
    const poolName = this.#pools.configured(appId)[0]?.poolName ?? "kiln-deno";
    const timeoutS = input.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_S;
    const lease = await this.allocate(appId, poolName, signal);
    let discard: string | undefined;
    try {
      const answer = await lease.sandbox.post("/command", {
        command: input.command,
        arguments: input.arguments,
        stdin: input.stdin,
        timeoutMs: Math.round(timeoutS * 1000),
        maxOutputBytes: MAX_COMMAND_OUTPUT,
        allowlist,
      }, AbortSignal.any([AbortSignal.timeout(timeoutS * 1000 + 5_000), this.#shutdown.signal]))
        .catch((err) => {
          discard = "transport failure";
          throw new KilnError("SANDBOX_KILLED", "the command's container failed", {
            reason: "crash",
            detail: String(err),
          });
        });
      const out = answer.body as {
        refused?: string;
        exitCode?: number;
        stdout?: string;
        stderr?: string;
        timedOut?: boolean;
        truncated?: boolean;
        recycle?: unknown;
      };
      if (typeof out.recycle === "string") {
        discard = `unhealthy: ${out.recycle}`;
        lease.pool.countKill("unhealthy");
      }
      if (out.refused) throw new KilnError("FORBIDDEN", out.refused, { command: input.command });
      let stderr = out.stderr ?? "";
      if (out.truncated) stderr += `\n[kiln] output cut at ${MAX_COMMAND_OUTPUT} bytes`;
      if (out.timedOut) {
        discard = "command timed out";
        stderr += `\n[kiln] killed after the ${timeoutS} s timeout`;
      }
      return {
        exitCode: out.timedOut ? 124 : out.exitCode ?? 1,
        stdout: out.stdout ?? "",
        stderr,
      };
    } finally {
      this.release(lease, discard);
    }
  }

  stats(): TierStats {
    let live = 0, busy = 0, queued = 0;
    for (const p of this.#pools.pools()) {
      const s = p.stats();
      live += s.live;
      busy += s.busy;
      queued += s.queued;
    }
    return { live, busy, queued, kills: { ...this.#kills } };
  }

  /** Per-pool counters, for tests and the admin view. */
  poolStats(): Record<string, ReturnType<ContainerPool["stats"]>> {
    return this.#pools.stats();
  }

  /** Every pool with its spec, counters and containers, for the admin panel. */
  poolDetails(): PoolDetails[] {
    return this.#pools.details();
  }

  details(): TierDetails {
    return { pools: this.poolDetails() };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#shutdown.abort();
    await this.#started.catch(() => {});
    await this.#pools.close();
    await removeOwn(this.#docker, this.instance).catch(() => {});
    await Deno.remove(this.#socketDir, { recursive: true }).catch(() => {});
    await Deno.remove(this.#opts.socketRoot).catch(() => {}); // only if empty
  }
}
