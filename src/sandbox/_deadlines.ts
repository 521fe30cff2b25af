/**
 * Many deadlines on one timer. A watchdog or queue timeout per execution costs a timer set and
 * cleared per request (Node-compatible timers, a few µs each on Kiln's main thread), while nearly
 * all of them end long before they fire. Here one timer is armed for the earliest deadline; a
 * deadline later than the armed one sets nothing, an ended one is only forgotten, and when the
 * timer fires it calls what is due and re-arms for the next. The timer is cleared once nothing is
 * watched, so an idle process (or a test) holds no timer.
 */

interface Entry {
  at: number;
  fire: () => void;
}

export class Deadlines {
  readonly #entries = new Map<object, Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt = Infinity;

  /** Calls `fire` once `ms` from now unless `key` is cleared (or set again) before. */
  set(key: object, ms: number, fire: () => void): void {
    const at = performance.now() + ms;
    this.#entries.set(key, { at, fire });
    if (at < this.#armedAt) this.#arm(at);
  }

  clear(key: object): void {
    if (!this.#entries.delete(key) || this.#entries.size > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  get size(): number {
    return this.#entries.size;
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(() => this.#sweep(), Math.max(0, at - performance.now()));
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = performance.now();
    const due: Entry[] = [];
    let next = Infinity;
    for (const [key, entry] of this.#entries) {
      if (entry.at <= now) {
        due.push(entry);
        this.#entries.delete(key);
      } else if (entry.at < next) next = entry.at;
    }
    if (next < Infinity) this.#arm(next);
    for (const entry of due) entry.fire();
  }
}
