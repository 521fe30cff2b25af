import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes() joins parts, cuts at a length, and passes one part through", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5]);
  assert.deepEqual(concatBytes([a, b]), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(concatBytes([a, b], 4), new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(concatBytes([a, b], 2), new Uint8Array([1, 2]));
  assert.deepEqual(concatBytes([a, b], 9), new Uint8Array([1, 2, 3, 4, 5]), "never past the parts");
  assert.equal(concatBytes([a]), a, "one part is not copied");
  assert.deepEqual(concatBytes([a], 1), new Uint8Array([1]));
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});
