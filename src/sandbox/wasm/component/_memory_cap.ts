/**
 * Caps the linear memories a component's core WebAssembly modules define. A component's memory
 * lives in the Kiln process (workers share it), so an uncapped `memory.grow` loop could take
 * gigabytes; with a declared maximum, growth past the ceiling fails inside the guest instead. The
 * limit is shared out across every memory the component defines, so defining more memories never
 * buys more memory.
 */

const PAGE_BYTES = 65536;
const MEMORY_SECTION = 5;

/** Wasm pages that fit in `memoryMb`. */
export function pagesFor(memoryMb: number): number {
  return Math.max(1, Math.floor((memoryMb * 1024 * 1024) / PAGE_BYTES));
}

/**
 * Returns `cores` with the maxima of all the memories they define adding up to at most `maxPages`:
 * memories declaring a small maximum keep it, the rest share what is left equally. Throws a
 * RangeError when a memory's minimum is above its share: the component can never run within the
 * limit.
 */
export function capComponentMemory(
  cores: Record<string, Uint8Array>,
  maxPages: number,
): Record<string, Uint8Array> {
  const memories = Object.entries(cores).flatMap(([name, core]) =>
    definedMemories(core).map((m, index) => ({ name, index, ...m, cap: 0 }))
  );
  let left = maxPages;
  const byMaximum = [...memories].sort((a, b) => (a.max ?? Infinity) - (b.max ?? Infinity));
  byMaximum.forEach((memory, i) => {
    memory.cap = Math.min(memory.max ?? Infinity, Math.floor(left / (byMaximum.length - i)));
    if (memory.min > memory.cap) {
      const of = memories.length > 1 ? `its ${memory.cap}-page share of ` : "";
      throw new RangeError(
        `memory starts at ${memory.min} pages, above ${of}the ${maxPages}-page limit`,
      );
    }
    left -= memory.cap;
  });
  return Object.fromEntries(
    Object.entries(cores).map(([name, core]) => {
      const caps = memories.filter((m) => m.name === name).map((m) => m.cap);
      return [name, caps.length === 0 ? core : capCoreMemory(core, caps)];
    }),
  );
}

/**
 * Returns `core` with every defined 32-bit memory's maximum lowered to `maxPages` (or, given one
 * number per defined memory, to its own). Throws a RangeError when a memory's minimum is already
 * above it. Memories the module imports are left alone; they are defined (and capped) elsewhere.
 */
export function capCoreMemory(core: Uint8Array, maxPages: number | number[]): Uint8Array {
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

/** The memories a core module defines (its memory section), with their limits in pages. */
function definedMemories(core: Uint8Array): { min: number; max?: number }[] {
  if (core.length < 8 || core[0] !== 0 || core[1] !== 0x61 || core[4] !== 1) return [];
  for (let at = 8; at < core.length;) {
    const [size, sizeEnd] = readU32(core, at + 1);
    if (core[at] === MEMORY_SECTION) return readMemories(core.subarray(sizeEnd, sizeEnd + size));
    at = sizeEnd + size;
  }
  return [];
}

function readMemories(body: Uint8Array): { min: number; max?: number; end: number }[] {
  const [count, start] = readU32(body, 0);
  const memories = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const flags = body[at];
    if (flags > 1) throw new RangeError(`memory with limit flags ${flags} is not supported`);
    const [min, minEnd] = readU32(body, at + 1);
    const [max, end] = flags === 1 ? readU32(body, minEnd) : [undefined, minEnd];
    memories.push({ min, max, end });
    at = end;
  }
  return memories;
}

function capMemorySection(body: Uint8Array, maxPages: number | number[]): number[] {
  const memories = readMemories(body);
  const out = writeU32(memories.length);
  memories.forEach(({ min, max: declared }, i) => {
    const limit = typeof maxPages === "number" ? maxPages : maxPages[i];
    const max = Math.min(declared ?? Infinity, limit);
    if (min > max) {
      throw new RangeError(`memory starts at ${min} pages, above the ${limit}-page limit`);
    }
    out.push(1, ...writeU32(min), ...writeU32(max));
  });
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
