import assert from "node:assert/strict";
import { KilnError } from "../../core/mod.ts";
import { parseMemory } from "./pool_defaults.ts";

Deno.test("parseMemory() reads Docker-style sizes and refuses anything else", () => {
  assert.equal(parseMemory(1234), 1234);
  assert.equal(parseMemory("512"), 512);
  assert.equal(parseMemory("64k"), 64 << 10);
  assert.equal(parseMemory("256m"), 256 << 20);
  assert.equal(parseMemory("2G"), 2 * (1 << 30));
  assert.throws(() => parseMemory("lots"), KilnError);
});
