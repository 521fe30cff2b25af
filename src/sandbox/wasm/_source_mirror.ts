/**
 * Which bundle sources a QuickJS worker holds, kept identically on both ends of its channel: the
 * host sends a bundle's source only when its mirror says the worker lacks it, and the worker keeps
 * the sources it was sent. Both update the same least-recently-used list with the same sequence of
 * runs (messages to one worker arrive in order, one run at a time), so they agree without a reply;
 * a worker replaced starts a new pair. Saves a structured clone of every bundle on both threads
 * per execution (tens of KB for an app with dependencies).
 */

/** Bundle sources one worker keeps (their text, in its JS heap). */
export const MIRRORED_SOURCES = 32;

export class SourceMirror<T> {
  readonly #entries = new Map<string, T>();

  /** Marks `key` used; its value, if held. */
  touch(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Holds `value` for `key` as the most recently used, dropping the least recently used. */
  hold(key: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    for (const old of this.#entries.keys()) {
      if (this.#entries.size <= MIRRORED_SOURCES) break;
      this.#entries.delete(old);
    }
  }
}
