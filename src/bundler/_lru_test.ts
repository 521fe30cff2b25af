import assert from "node:assert/strict";
import { Lru } from "./_lru.ts";

Deno.test("Lru forgets the least recently used entry once it is full", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  assert.equal(lru.get("a"), 1, "reading a makes b the oldest");
  lru.set("c", 3);
  assert.equal(lru.get("b"), undefined);
  assert.deepEqual([lru.get("a"), lru.get("c"), lru.size], [1, 3, 2]);
  lru.set("a", 10);
  lru.delete("c");
  assert.deepEqual([lru.get("a"), lru.get("c"), lru.size], [10, undefined, 1]);
});
