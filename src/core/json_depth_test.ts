import assert from "node:assert/strict";
import { KilnError } from "./errors/mod.ts";
import { assertJsonDepth, jsonTextDepth, jsonTextShape, valueDepth } from "./json_depth.ts";

Deno.test("jsonTextDepth() counts nesting and ignores brackets inside strings", () => {
  assert.equal(jsonTextDepth('{"a":[1,{"b":"[[[{{{"}]}'), 3);
  assert.equal(jsonTextDepth('"\\"[[["'), 0);
  assert.equal(jsonTextDepth(new TextEncoder().encode("[[[]],[]]")), 3);
  assert.equal(jsonTextDepth("42"), 0);
});

Deno.test("jsonTextDepth() stops one past the budget instead of scanning on", () => {
  const deep = "[".repeat(1_000_000);
  assert.equal(jsonTextDepth(deep, 128), 129);
});

Deno.test("valueDepth() measures parsed values without recursing", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(valueDepth(deep, 128), 129);
  assert.equal(valueDepth({ a: [{ b: {} }] }), 4);
  assert.equal(valueDepth("text"), 0);
});

Deno.test("assertJsonDepth() names the json.depth budget", () => {
  assert.throws(() => assertJsonDepth("[".repeat(200), "the body", 128), (err) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "LIMIT_EXCEEDED");
    assert.equal(err.status, 400);
    assert.deepEqual(err.details, { limit: "json.depth", max: 128 });
    assert.match(err.message, /the body nests deeper than 128 levels/);
    return true;
  });
  assertJsonDepth({ fine: [[1]] }, "a value", 128);
});

Deno.test("jsonTextShape() counts items and names the first budget crossed", () => {
  assert.deepEqual(jsonTextShape('[1,2,{"a":[3]}]'), { depth: 3, items: 5, over: null });
  assert.deepEqual(jsonTextShape('"[,,,]"'), { depth: 0, items: 0, over: null });
  const many = `[${"[],".repeat(300_000)}[]]`;
  assert.equal(jsonTextShape(many).over, "json.items");
  assert.equal(jsonTextShape(many, 128, Infinity).over, null);
  assert.equal(jsonTextShape("[".repeat(500)).over, "json.depth");
});

Deno.test("assertJsonDepth() on text also refuses too many items, naming json.items", () => {
  assert.throws(() => assertJsonDepth(`[${"1,".repeat(250_000)}1]`, "the body", 128), (err) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "LIMIT_EXCEEDED");
    assert.equal((err.details as { limit: string }).limit, "json.items");
    assert.match(err.message, /the body holds more than 200000 items/);
    return true;
  });
});
