/**
 * A least-recently-used cache bounded by an estimate of the bytes it holds, so caching file
 * contents of many apps and revisions cannot grow without limit. Values are immutable facts
 * (keyed by Git object ids), so eviction is the only invalidation needed.
 */
export class ByteLru<V> {
  #map = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  /** Stores `value`, charged `bytes` (plus its key); values larger than the cache are skipped. */
  set(key: string, value: V, bytes: number): void {
    const cost = bytes + key.length * 2 + 64;
    this.delete(key);
    if (cost > this.maxBytes) return;
    this.#map.set(key, { value, bytes: cost });
    this.#bytes += cost;
    for (const [oldest, entry] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(key: string): void {
    const hit = this.#map.get(key);
    if (hit === undefined) return;
    this.#map.delete(key);
    this.#bytes -= hit.bytes;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
