/**
 * A copy of a QuickJS instance's linear memory, put back after every execution.
 *
 * Copying all of it would cost more than the execution: the emscripten layout is static data,
 * then a 5 MiB shadow stack growing down towards it, then the heap, and the stack is almost
 * entirely zero. So the image keeps the pages in use, and of each long zero run (the stack's
 * unused part) only its top `STACK_WINDOW` bytes: a stack grows down into that window from the
 * used part above it, and QuickJS stops it at its 256 KiB limit (plus what C frames between
 * two checks use, measured at under 12 KiB). The `GUARD` bytes below each window must still be
 * zero after an execution; if not, something went deeper than the window, and `restore` says
 * so, so the instance is dropped instead of reused.
 *
 * Pages past the image (the heap grown during an execution) are not touched: the restored
 * allocator treats them as free, and QuickJS initialises what it allocates there.
 */

const PAGE = 4096;
/** Bytes of a zero run restored below the data above it: QuickJS's stack limit plus slack. */
export const STACK_WINDOW = 320 * 1024;
const GUARD = 16 * 1024;

interface Segment {
  offset: number;
  bytes: Uint8Array;
}

export class MemoryImage {
  private constructor(
    /** Ranges written back on restore. */
    private readonly segments: Segment[],
    /** Ranges that must still be zero after an execution (`[start, end)` in bytes). */
    private readonly guards: [number, number][],
    /** Zero ranges left out of the segments. */
    private readonly skipped: [number, number][],
    readonly length: number,
  ) {}

  static capture(memory: WebAssembly.Memory): MemoryImage {
    const words = new Int32Array(memory.buffer);
    const pageWords = PAGE / 4;
    const pages = Math.ceil(words.length / pageWords);
    const used = new Uint8Array(pages);
    for (let p = 0; p < pages; p++) {
      let any = 0;
      for (let i = p * pageWords, end = i + pageWords; i < end; i++) any |= words[i];
      used[p] = any === 0 ? 0 : 1;
    }
    let last = pages;
    while (last > 0 && used[last - 1] === 0) last--;
    const bytes = new Uint8Array(memory.buffer);
    const segments: Segment[] = [];
    const guards: [number, number][] = [];
    const skipped: [number, number][] = [];
    let start = 0;
    for (let p = 0; p < last;) {
      if (used[p]) {
        p++;
        continue;
      }
      let q = p;
      while (q < last && used[q] === 0) q++;
      const zeroStart = p * PAGE;
      const keepFrom = q * PAGE - STACK_WINDOW;
      if (keepFrom - zeroStart >= GUARD) {
        segments.push({ offset: start, bytes: bytes.slice(start, zeroStart) });
        skipped.push([zeroStart, keepFrom]);
        guards.push([keepFrom - GUARD, keepFrom]);
        start = keepFrom;
      }
      p = q;
    }
    segments.push({ offset: start, bytes: bytes.slice(start, last * PAGE) });
    return new MemoryImage(
      segments.filter((s) => s.bytes.length > 0),
      guards,
      skipped,
      last * PAGE,
    );
  }

  /** Bytes copied per restore. */
  get copiedBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes.length, 0);
  }

  /**
   * Writes the image back into `memory`. False when a guard band was written to: the memory
   * below the restored window may hold what the execution left, so the instance must go.
   */
  restore(memory: WebAssembly.Memory): boolean {
    const clean = this.guards.every(([start, end]) => isZero(memory, start, end));
    const bytes = new Uint8Array(memory.buffer);
    for (const { offset, bytes: image } of this.segments) bytes.set(image, offset);
    return clean;
  }

  /** Whether `memory` holds exactly the image (the skipped ranges zero). */
  matches(memory: WebAssembly.Memory): boolean {
    const bytes = new Uint8Array(memory.buffer);
    for (const { offset, bytes: image } of this.segments) {
      for (let i = 0; i < image.length; i++) if (bytes[offset + i] !== image[i]) return false;
    }
    return this.skipped.every(([start, end]) => isZero(memory, start, end));
  }
}

function isZero(memory: WebAssembly.Memory, start: number, end: number): boolean {
  const words = new Int32Array(memory.buffer, start, (end - start) / 4);
  let any = 0;
  for (let i = 0; i < words.length; i++) any |= words[i];
  return any === 0;
}
