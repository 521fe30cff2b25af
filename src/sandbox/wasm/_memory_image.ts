/**
 * A copy of a QuickJS instance's linear memory, put back after every execution.
 *
 * Copying all of it would cost more than the execution: the emscripten layout is static data,
 * then a 5 MiB shadow stack growing down towards it, then the heap, and the stack is almost
 * entirely zero. So the image keeps every page up to the last one in use except one range: the
 * stack's unused depth, the first zero run of at least `MIN_STACK_GAP` (the static data before it
 * is small), of which it still keeps the top `STACK_WINDOW` bytes. A stack grows down into that
 * window from the used part above it, and QuickJS stops it at its 256 KiB limit (plus what C
 * frames between two checks use, measured at under 12 KiB). The `GUARD` bytes below the window
 * must still be zero after an execution; if not, something went deeper than the window, and
 * `restore` says so, so the instance is dropped instead of reused.
 *
 * Only the stack is left out: a zero run in the heap may be a zero-filled allocation (a guest's
 * `new Uint8Array(n)` made when a bundle was evaluated), which an execution could fill and the next
 * would read back. Images of one instance (its prepared base and each bundle evaluated on it) share
 * the gap of the first (`capture(memory, gapOf(base))`), which is zeroed before a later image is
 * taken: switching between them then never leaves one image's stack bytes under another's.
 *
 * Pages past the image (the heap grown since, up to the last page in use) are not touched: the
 * restored allocator treats them as free, and QuickJS initialises what it allocates there. The
 * allocator's top chunk has a header right after the last allocation, so no allocated block lies
 * in the zero pages past the image.
 */

const PAGE = 4096;
/** Bytes of the stack's zero run restored below the data above it: QuickJS's limit plus slack. */
export const STACK_WINDOW = 320 * 1024;
/** A zero run at least this long, first in memory, is the stack's unused depth. */
const MIN_STACK_GAP = 1024 * 1024;
const GUARD = 16 * 1024;

/** A range written back on restore: its bytes, or zeros (`length` of them) for a zero run. */
interface Segment {
  offset: number;
  bytes: Uint8Array | null;
  length: number;
}

/** Zero runs of at least this many pages are filled on restore rather than copied (faster). */
const MIN_FILL_PAGES = 4;

/** The zero range an image leaves out (`[start, end)` in bytes); its top `GUARD` bytes excluded. */
export type StackGap = readonly [number, number];

export class MemoryImage {
  private constructor(
    /** Ranges written back on restore. */
    private readonly segments: Segment[],
    /** The zero range left out of the segments, if any. */
    readonly gap: StackGap | null,
    readonly length: number,
  ) {}

  /**
   * Takes an image of `memory`. With `gap` (another image's), that range is zeroed first (it is
   * the stack's depth, dead between calls) and left out; without, the stack's gap is found.
   */
  static capture(memory: WebAssembly.Memory, gap?: StackGap | null): MemoryImage {
    const bytes = new Uint8Array(memory.buffer);
    if (gap) bytes.fill(0, gap[0], gap[1]);
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
    const found = gap === undefined ? stackGap(used, last) : gap;
    const ranges: [number, number][] = found
      ? [[0, found[0]], [found[1], Math.max(found[1], last * PAGE)]]
      : [[0, last * PAGE]];
    const segments: Segment[] = [];
    for (const [start, end] of ranges) {
      let from = start;
      // Whole zero pages in long runs become fills; everything else is copied as it is.
      for (let p = Math.ceil(start / PAGE); p * PAGE < end;) {
        let q = p;
        while (q < last && (q + 1) * PAGE <= end && used[q] === 0) q++;
        if (q - p >= MIN_FILL_PAGES) {
          if (p * PAGE > from) segments.push(copy(bytes, from, p * PAGE));
          segments.push({ offset: p * PAGE, bytes: null, length: (q - p) * PAGE });
          from = q * PAGE;
        }
        p = q + 1;
      }
      if (end > from) segments.push(copy(bytes, from, end));
    }
    return new MemoryImage(segments, found, last * PAGE);
  }

  /** Bytes written per restore (copied or zero-filled). */
  get copiedBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.length, 0);
  }

  /**
   * Writes the image back into `memory`. False when the guard band was written to: the memory
   * below the restored window may hold what the execution left, so the instance must go.
   */
  restore(memory: WebAssembly.Memory): boolean {
    const clean = !this.gap || isZero(memory, this.gap[1] - GUARD, this.gap[1]);
    const bytes = new Uint8Array(memory.buffer);
    for (const { offset, bytes: image, length } of this.segments) {
      if (image) bytes.set(image, offset);
      else bytes.fill(0, offset, offset + length);
    }
    return clean;
  }

  /** Whether `memory` holds exactly the image (the gap zero). */
  matches(memory: WebAssembly.Memory): boolean {
    const bytes = new Uint8Array(memory.buffer);
    for (const { offset, bytes: image, length } of this.segments) {
      if (!image) {
        if (!isZero(memory, offset, offset + length)) return false;
        continue;
      }
      for (let i = 0; i < image.length; i++) if (bytes[offset + i] !== image[i]) return false;
    }
    return !this.gap || isZero(memory, this.gap[0], this.gap[1]);
  }
}

function copy(bytes: Uint8Array, start: number, end: number): Segment {
  return { offset: start, bytes: bytes.slice(start, end), length: end - start };
}

/** The first zero run of at least `MIN_STACK_GAP` before page `last`, less its top window. */
function stackGap(used: Uint8Array, last: number): StackGap | null {
  for (let p = 0; p < last;) {
    if (used[p]) {
      p++;
      continue;
    }
    let q = p;
    while (q < last && used[q] === 0) q++;
    if ((q - p) * PAGE >= MIN_STACK_GAP) return [p * PAGE, q * PAGE - STACK_WINDOW];
    p = q;
  }
  return null;
}

function isZero(memory: WebAssembly.Memory, start: number, end: number): boolean {
  const words = new Int32Array(memory.buffer, start, (end - start) / 4);
  let any = 0;
  for (let i = 0; i < words.length; i++) any |= words[i];
  return any === 0;
}
