/**
 * Caps the linear memories a core WebAssembly module defines. A component's memory lives in the
 * Kiln process (workers share it), so an uncapped `memory.grow` loop could take gigabytes; with a
 * declared maximum, growth past the ceiling fails inside the guest instead.
 */

const PAGE_BYTES = 65536;
const MEMORY_SECTION = 5;

/** Wasm pages that fit in `memoryMb`. */
export function pagesFor(memoryMb: number): number {
  return Math.max(1, Math.floor((memoryMb * 1024 * 1024) / PAGE_BYTES));
}

/**
 * Returns `core` with every defined 32-bit memory's maximum lowered to `maxPages`. Throws a
 * RangeError when a memory's minimum is already above it: such a module can never run within the
 * limit. Memories the module imports are left alone; they are defined (and capped) elsewhere.
 */
export function capCoreMemory(core: Uint8Array, maxPages: number): Uint8Array {
  if (core.length < 8 || core[0] !== 0 || core[1] !== 0x61 || core[4] !== 1) return core;
  const chunks: Uint8Array[] = [core.subarray(0, 8)];
  let at = 8;
  while (at < core.length) {
    const id = core[at];
    const [size, sizeEnd] = readU32(core, at + 1);
    const body = core.subarray(sizeEnd, sizeEnd + size);
    const next = sizeEnd + size;
    if (id !== MEMORY_SECTION) {
      chunks.push(core.subarray(at, next));
    } else {
      const rewritten = capMemorySection(body, maxPages);
      chunks.push(new Uint8Array([id, ...writeU32(rewritten.length), ...rewritten]));
    }
    at = next;
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function capMemorySection(body: Uint8Array, maxPages: number): number[] {
  const [count, start] = readU32(body, 0);
  const out = writeU32(count);
  let at = start;
  for (let i = 0; i < count; i++) {
    const flags = body[at];
    const [min, minEnd] = readU32(body, at + 1);
    if (flags > 1) throw new RangeError(`memory with limit flags ${flags} is not supported`);
    let end = minEnd;
    let max = maxPages;
    if (flags === 1) {
      const [declared, maxEnd] = readU32(body, minEnd);
      max = Math.min(declared, maxPages);
      end = maxEnd;
    }
    if (min > max) {
      throw new RangeError(`memory starts at ${min} pages, above the ${maxPages}-page limit`);
    }
    out.push(1, ...writeU32(min), ...writeU32(max));
    at = end;
  }
  return out;
}

function readU32(bytes: Uint8Array, from: number): [number, number] {
  let value = 0;
  let shift = 0;
  let at = from;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new RangeError("truncated WebAssembly module");
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

function writeU32(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}
