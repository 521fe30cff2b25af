import assert from "node:assert/strict";
import { capCoreMemory, pagesFor } from "./_memory_cap.ts";

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
