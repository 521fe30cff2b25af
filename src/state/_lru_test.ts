import assert from "node:assert/strict";
import { ByteLru } from "./_lru.ts";

Deno.test("ByteLru evicts the least recently used entries past its byte budget", () => {
  const lru = new ByteLru<string>(1_000);
  lru.set("a", "A", 300);
  lru.set("b", "B", 300);
  assert.equal(lru.get("a"), "A");
  lru.set("c", "C", 300);
  assert.equal(lru.get("b"), undefined, "b was least recently used");
  assert.equal(lru.get("a"), "A");
  assert.equal(lru.get("c"), "C");
  assert.ok(lru.bytes <= 1_000);
});

Deno.test("ByteLru skips values larger than the whole cache and accounts replacements", () => {
  const lru = new ByteLru<string>(500);
  lru.set("big", "x", 10_000);
  assert.equal(lru.get("big"), undefined);
  lru.set("k", "1", 100);
  lru.set("k", "2", 100);
  assert.equal(lru.size, 1);
  assert.equal(lru.get("k"), "2");
  lru.clear();
  assert.equal(lru.bytes, 0);
});
