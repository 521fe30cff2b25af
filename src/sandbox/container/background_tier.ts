import { KilnError, quote } from "../../core/mod.ts";
import type { ExecuteResponse } from "../../models/mod.ts";
import type { TierDetails } from "../overview.ts";
import type { ExecutionJob, TierDriver, TierStats } from "../tier.ts";
import type { ContainerTier } from "./container_tier.ts";

type Started = { tier: ContainerTier; close(): Promise<void> } | null;

const OFF = "the container tier is off: docker is not reachable or containers are disabled";

/**
 * The container tier as `kiln serve` has it: started once Kiln listens, because Docker's client,
 * its ping and the sweep of orphaned containers are start-up time no other request should wait
 * for. Until the start settles the tier counts as up, so an execution or command that needs it
 * waits for it rather than failing; when Docker did not answer it is unavailable, with the reason.
 */
export class BackgroundContainerTier implements TierDriver {
  readonly name = "container" as const;
  readonly reuse = "none" as const;
  readonly accepts = { javascript: "esm", python: true } as const;
  readonly #start: () => Promise<Started>;
  readonly #started = Promise.withResolvers<ContainerTier | null>();
  #state: Started | undefined;
  #begun = false;
  #closed = false;

  /** `start` runs on `begin()`: it resolves to the running tier and its close, or null (off). */
  constructor(start: () => Promise<Started>) {
    this.#start = start;
  }

  /** Starts the tier now (once); executions until then wait for it. */
  begin(): void {
    if (this.#begun || this.#closed) return;
    this.#begun = true;
    this.#start().catch(() => null).then((s) => {
      this.#state = s;
      this.#started.resolve(s?.tier ?? null);
    });
  }

  /** Settles with the running tier, or null when it is off or closed before it began. */
  get started(): Promise<ContainerTier | null> {
    return this.#started.promise;
  }

  unavailableReason(): string | null {
    if (this.#closed) return "the container tier is closed";
    if (this.#state === undefined) return null;
    return this.#state ? this.#state.tier.unavailableReason() : OFF;
  }

  async execute(job: ExecutionJob): Promise<ExecuteResponse> {
    const tier = await this.started;
    if (!tier || this.#closed) {
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `cannot run on ${quote("container")}: ${this.unavailableReason()}`,
        { tier: "container" },
      );
    }
    return await tier.execute(job);
  }

  /** `core.linux.executeCommand`, once the tier is up. */
  async executeCommand(
    ...args: Parameters<ContainerTier["executeCommand"]>
  ): ReturnType<ContainerTier["executeCommand"]> {
    const tier = await this.started;
    if (!tier || this.#closed) {
      throw new KilnError(
        "UNAVAILABLE",
        "core.linux is not available on this node: the container tier is not running " +
          "(Docker unreachable or containers disabled)",
      );
    }
    return await tier.executeCommand(...args);
  }

  stats(): TierStats {
    return this.#state?.tier.stats() ?? { live: 0, busy: 0, queued: 0, kills: {} };
  }

  details(): TierDetails {
    return this.#state?.tier.details?.() ?? {};
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#begun) return this.#started.resolve(null);
    await this.started;
    await this.#state?.close();
  }
}
