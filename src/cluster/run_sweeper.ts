/**
 * Every node sweeps for in-flight workflow runs nobody holds a lease on (their node died, or
 * lost Redis long enough to give them up) and takes them over from their last checkpoint. With
 * a 5 s lease and a 2 s sweep, a killed node's runs resume within about 7 s.
 */
import type { Logger } from "../core/mod.ts";
import type { InFlightRun } from "./leases.ts";

/** What the sweeper needs: who is orphaned, and the engine's take-over. */
export interface RunSweeperOptions {
  orphans(): Promise<InFlightRun[]>;
  /** Takes one run over; true when this node now drives it (the workflow engine's `adopt`). */
  adopt(appId: string, runId: string): Promise<boolean>;
  logger: Logger;
  everyMs?: number;
}

/** Sweeps on a timer until `stop()`. */
export class RunSweeper {
  readonly #o: RunSweeperOptions;
  readonly #log: Logger;
  #timer: ReturnType<typeof setInterval> | undefined;
  #sweeping: Promise<number> | null = null;
  #failing = false;
  #stopped = false;

  constructor(opts: RunSweeperOptions) {
    this.#o = opts;
    this.#log = opts.logger.with({ component: "run-sweeper" });
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.sweep(), this.#o.everyMs ?? 2_000);
  }

  /** One sweep (never two at once); answers how many runs this node took over. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#once().finally(() => this.#sweeping = null);
    return this.#sweeping;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  async #once(): Promise<number> {
    let taken = 0;
    try {
      for (const { appId, runId } of await this.#o.orphans()) {
        if (this.#stopped) break;
        if (await this.#o.adopt(appId, runId)) taken++;
      }
      if (taken > 0) this.#log.info("took over orphaned workflow runs", { runs: taken });
      this.#failing = false;
    } catch (err) {
      // Redis is down: say so once, and keep sweeping; the runs wait for it.
      if (!this.#failing) this.#log.warn("sweeping runs failed", { error: String(err) });
      this.#failing = true;
    }
    return taken;
  }
}
