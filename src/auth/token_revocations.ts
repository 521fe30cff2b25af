import { type Clock, systemClock } from "../core/mod.ts";

/**
 * Where execution tokens revoked before their expiry are remembered — until that expiry, after
 * which the signature check refuses them anyway. Kiln revokes a token when the execution it was
 * minted for ends. Lookups are synchronous because every verification asks; a cluster-wide
 * store can keep a local mirror fed by its own channel and implement the same two calls.
 */
export interface TokenRevocations {
  /** Remembers token `id` as revoked until `expiresAt` (ms since the epoch). */
  revoke(id: string, expiresAt: number): void;
  isRevoked(id: string): boolean;
}

/** How many revoked tokens one process remembers at most (about 100 bytes each). */
export const DEFAULT_MAX_REVOCATIONS = 200_000;

/**
 * Revocations in this process. Entries are grouped by the second they expire in, and expired
 * groups are dropped at most once a second, so the set holds only tokens that could still
 * verify: its size is executions per second times token lifetime. Past `max` (a flood the
 * sweep cannot keep up with), the group expiring soonest goes first: the tokens with the least
 * life left.
 */
export class MemoryRevocations implements TokenRevocations {
  readonly #ids = new Map<string, number>();
  readonly #groups = new Map<number, string[]>();
  readonly #clock: Clock;
  readonly #max: number;
  #sweptAt = -1;

  constructor(opts: { clock?: Clock; max?: number } = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#max = opts.max ?? DEFAULT_MAX_REVOCATIONS;
  }

  revoke(id: string, expiresAt: number): void {
    const now = this.#clock.now();
    if (expiresAt <= now || this.#ids.has(id)) return;
    this.#sweep(now);
    if (this.#ids.size >= this.#max) this.#dropSoonest();
    const second = Math.ceil(expiresAt / 1000);
    this.#ids.set(id, expiresAt);
    const group = this.#groups.get(second);
    if (group) group.push(id);
    else this.#groups.set(second, [id]);
  }

  isRevoked(id: string): boolean {
    const expiresAt = this.#ids.get(id);
    if (expiresAt === undefined) return false;
    const now = this.#clock.now();
    this.#sweep(now);
    return expiresAt > now;
  }

  /** Tokens remembered now. */
  get size(): number {
    return this.#ids.size;
  }

  #sweep(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.#sweptAt) return;
    this.#sweptAt = second;
    for (const [expiry, ids] of this.#groups) {
      if (expiry > second) continue;
      for (const id of ids) this.#ids.delete(id);
      this.#groups.delete(expiry);
    }
  }

  #dropSoonest(): void {
    let soonest = Infinity;
    for (const expiry of this.#groups.keys()) soonest = Math.min(soonest, expiry);
    for (const id of this.#groups.get(soonest) ?? []) this.#ids.delete(id);
    this.#groups.delete(soonest);
  }
}
