import assert from "node:assert/strict";
import { capComponentMemory, capCoreMemory, pagesFor } from "./_memory_cap.ts";

const HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
const TYPE_SECTION = [1, 1, 0];

function moduleWith(memory: number[]): Uint8Array {
  return new Uint8Array([...HEADER, ...TYPE_SECTION, 5, memory.length, ...memory]);
}

/** Pages the module's memory can reach, found by growing it (exported as "m") until it fails. */
function maximumOf(bytes: Uint8Array): number {
  const withExport = new Uint8Array([...bytes, 7, 5, 1, 1, 0x6d, 2, 0]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(withExport));
  const memory = instance.exports.m as WebAssembly.Memory;
  let pages = memory.buffer.byteLength / 65536;
  for (; pages < 1000; pages++) {
    try {
      memory.grow(1);
    } catch {
      break;
    }
  }
  return pages;
}

Deno.test("capCoreMemory() gives an unbounded memory the limit as its maximum", () => {
  const capped = capCoreMemory(moduleWith([1, 0, 2]), 5);
  assert.deepEqual([...capped.subarray(-4)], [1, 1, 2, 5]);
  assert.equal(maximumOf(capped), 5);
});

Deno.test("capCoreMemory() keeps a declared maximum below the limit", () => {
  assert.equal(maximumOf(capCoreMemory(moduleWith([1, 1, 1, 3]), 5)), 3);
});

Deno.test("capCoreMemory() lowers a declared maximum above the limit", () => {
  assert.equal(maximumOf(capCoreMemory(moduleWith([1, 1, 1, 0x80, 0x02]), 4)), 4);
});

Deno.test("capCoreMemory() refuses a memory whose minimum is over the limit", () => {
  assert.throws(() => capCoreMemory(moduleWith([1, 0, 9]), 4), /9 pages, above the 4-page limit/);
});

Deno.test("capCoreMemory() leaves a module without a memory section unchanged", () => {
  const bytes = new Uint8Array([...HEADER, ...TYPE_SECTION]);
  assert.deepEqual(capCoreMemory(bytes, 4), bytes);
});

Deno.test("pagesFor() converts megabytes to 64 KiB pages", () => {
  assert.equal(pagesFor(128), 2048);
  assert.equal(pagesFor(0), 1);
});

Deno.test("capComponentMemory() shares the limit across every memory the cores define", () => {
  const capped = capComponentMemory({
    a: moduleWith([1, 0, 1]),
    b: moduleWith([1, 1, 1, 2]),
    c: moduleWith([1, 0, 1]),
    d: moduleWith([1, 0, 1]),
  }, 10);
  // b declares 2 pages and keeps them; a, c and d share the other 8.
  assert.equal(maximumOf(capped.b), 2);
  const shares = [capped.a, capped.c, capped.d].map(maximumOf);
  assert.equal(shares.reduce((sum, n) => sum + n, 0), 8, String(shares));
  assert.ok(shares.every((n) => n >= 2 && n <= 3), String(shares));
  const twoInOne = capComponentMemory({ a: moduleWith([2, 0, 1, 0, 1]) }, 10);
  assert.deepEqual([...twoInOne.a.subarray(-7)], [2, 1, 1, 5, 1, 1, 5]);
});

Deno.test("capComponentMemory() refuses a memory whose minimum is above its share", () => {
  assert.throws(
    () => capComponentMemory({ a: moduleWith([1, 0, 3]), b: moduleWith([1, 0, 1]) }, 4),
    /3 pages, above its 2-page share of the 4-page limit/,
  );
  const alone = capComponentMemory({ a: moduleWith([1, 0, 3]), none: new Uint8Array(HEADER) }, 4);
  assert.equal(maximumOf(alone.a), 4);
});
