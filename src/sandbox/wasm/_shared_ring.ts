/**
 * A single-producer, single-consumer queue of byte records in a SharedArrayBuffer: the wasm tier's
 * hand-off between Kiln's main thread and one QuickJS worker (`_fast_channel.ts`). A write is a
 * copy into shared memory and an `Atomics.notify`; the reader either polls, blocks in
 * `Atomics.wait` (a worker) or awaits `Atomics.waitAsync` (the main thread). A `postMessage`
 * costs both threads a structured clone and an event-loop task; this costs neither.
 *
 * Layout: a header of 32-bit cells, then `capacity` data bytes. A record is a 32-bit length and its
 * bytes, padded to 4; a record that does not fit before the end leaves a wrap mark (length -1) and
 * starts at 0. One slot stays empty so a full ring and an empty one differ. A write that does not
 * fit returns false: the caller sends the message another way.
 */

const HEAD = 0; // where the producer writes next (byte offset into the data)
const TAIL = 1; // where the consumer reads next
const SIGNAL = 2; // bumped on every write and on close: what a reader waits on
const CLOSED = 3;
const HEADER_BYTES = 16;
const WRAP = -1;

/** Fills `into` with a record's bytes; returns how many it used, or null when they do not fit. */
export type RecordWriter = (into: Uint8Array) => number | null;

export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #capacity: number;

  /** A ring over `buffer` (made by `SharedRing.create` on the other thread). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#cells = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#data = new Uint8Array(buffer, HEADER_BYTES);
    this.#view = new DataView(buffer, HEADER_BYTES);
    this.#capacity = this.#data.length;
  }

  /** A new ring with `capacity` data bytes (a multiple of 4). */
  static create(capacity: number): SharedRing {
    if (capacity % 4 !== 0 || capacity < 16) throw new RangeError("bad ring capacity");
    return new SharedRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  get capacity(): number {
    return this.#capacity;
  }

  get closed(): boolean {
    return Atomics.load(this.#cells, CLOSED) !== 0;
  }

  /** The signal's value now: a reader that found the ring empty waits for it to change. */
  signal(): number {
    return Atomics.load(this.#cells, SIGNAL);
  }

  /**
   * Appends one record written by `fill`, or returns false when it does not fit in the free
   * space (the ring is left as it was). `fill` may be called twice: at the end, then after a wrap.
   */
  write(fill: RecordWriter): boolean {
    if (this.closed) return false;
    const cap = this.#capacity;
    const head = Atomics.load(this.#cells, HEAD);
    const tail = Atomics.load(this.#cells, TAIL);
    // The reader's cell is the only one it writes; one out of range means the ring is unusable.
    if (!this.#offset(tail)) return false;
    // Contiguous room after head: to the end, or up to the byte before the tail.
    const end = tail > head ? tail - 4 : tail === 0 ? cap - 4 : cap;
    let at = head;
    let used = end - head >= 4 ? fill(this.#data.subarray(head + 4, end)) : null;
    if (used === null && tail <= head && tail > 0) {
      // Past the end: a wrap mark at head, the record at 0 (up to the byte before the tail).
      if (tail - 4 < 4) return false;
      used = fill(this.#data.subarray(4, tail - 4));
      if (used === null) return false;
      this.#length(head, WRAP);
      at = 0;
    }
    if (used === null) return false;
    this.#length(at, used);
    const next = at + 4 + align(used);
    Atomics.store(this.#cells, HEAD, next === cap ? 0 : next);
    this.#ring();
    return true;
  }

  /**
   * The next record as a copy in unshared memory, or null when the ring is empty. Throws when the
   * writer left it inconsistent (the other thread is then not to be trusted).
   */
  read(): Uint8Array | null {
    const head = Atomics.load(this.#cells, HEAD);
    let tail = Atomics.load(this.#cells, TAIL);
    if (tail === head) return null;
    if (!this.#offset(head)) throw new Error("the ring's write position is out of range");
    let length = this.#lengthAt(tail);
    if (length === WRAP) {
      tail = 0;
      length = this.#lengthAt(0);
    }
    if (length < 0 || tail + 4 + length > this.#capacity) {
      throw new Error("the ring holds a record of an impossible length");
    }
    const record = this.#data.slice(tail + 4, tail + 4 + length);
    const next = tail + 4 + align(length);
    Atomics.store(this.#cells, TAIL, next === this.#capacity ? 0 : next);
    return record;
  }

  /**
   * Blocks the calling thread until the signal moves from `seen`, at most `timeoutMs`; false on
   * timeout. Only for a worker: the main thread may not block.
   */
  waitSync(seen: number, timeoutMs: number): boolean {
    return Atomics.wait(this.#cells, SIGNAL, seen, timeoutMs) !== "timed-out";
  }

  /** Resolves once the signal moves from `seen` (at once if it already has). */
  waitAsync(seen: number): Promise<unknown> | null {
    const waiting = Atomics.waitAsync(this.#cells, SIGNAL, seen);
    return waiting.async ? waiting.value : null;
  }

  /** Refuses further writes and wakes every waiter, so a blocked reader can leave. */
  close(): void {
    Atomics.store(this.#cells, CLOSED, 1);
    this.#ring();
  }

  #offset(at: number): boolean {
    return at >= 0 && at < this.#capacity && at % 4 === 0;
  }

  #ring(): void {
    Atomics.add(this.#cells, SIGNAL, 1);
    Atomics.notify(this.#cells, SIGNAL);
  }

  #length(at: number, length: number): void {
    this.#view.setInt32(at, length, true);
  }

  #lengthAt(at: number): number {
    return this.#view.getInt32(at, true);
  }
}

function align(n: number): number {
  return (n + 3) & ~3;
}
