/**
 * How long an app waits for a new sandbox host after its hosts were replaced as spent — a worker
 * they ended did not stop, so the whole process had to go (ADR 0037). A host's start costs Kiln
 * about a tenth of a second of CPU; an app whose guests loop on purpose must not be able to make
 * it spend that without end, so replacements in a row are held back, longer each time.
 */
import { KilnError } from "../core/mod.ts";
import type { TierName } from "./tier.ts";

/** Replacements this close together count as one streak. */
const STREAK_MS = 60_000;

/** The first replacement at once, then from 500 ms doubling to 10 s. */
export function replaceHoldMs(streak: number): number {
  return streak <= 1 ? 0 : Math.min(10_000, 500 * 2 ** (streak - 2));
}

/** One app's replacements. */
export class ReplaceHold {
  /** Replacements in a row, each within `STREAK_MS` of the last. */
  streak = 0;
  #lastAt = -Infinity;
  #until = 0;

  /** The app's host was replaced as spent (now, in performance.now() time). */
  replaced(now = performance.now()): void {
    this.streak = now - this.#lastAt < STREAK_MS ? this.streak + 1 : 1;
    this.#lastAt = now;
    this.#until = now + replaceHoldMs(this.streak);
  }

  /** The refusal while a new host may not start yet, or null. */
  refusal(tier: TierName, what: string, now = performance.now()): KilnError | null {
    const left = Math.ceil(this.#until - now);
    if (left <= 0) return null;
    return new KilnError(
      "OVERLOADED",
      `the app's ${what} was replaced ${this.streak} times in a row (guest code stuck in a ` +
        `loop past its deadline): a new one starts in ${left} ms`,
      { tier, retryAfterMs: left },
    );
  }
}
