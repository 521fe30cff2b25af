import assert from "node:assert/strict";
import { differences } from "./_match.ts";

Deno.test("differences() as a subset ignores extra fields and names each mismatch by pointer", () => {
  const actual = { a: 1, b: { c: "x", d: [1, 2] }, extra: true };
  assert.deepEqual(differences({ a: 1, b: { d: [1, 2] } }, actual, true), []);
  assert.deepEqual(differences({ a: 2, b: { c: "y", e: 0 } }, actual, true), [
    "/a: expected 2, got 1",
    '/b/c: expected "y", got "x"',
    "/b/e: expected 0, missing",
  ]);
  assert.deepEqual(differences({ b: { d: [1] } }, actual, true), [
    "/b/d: expected [1], got [1,2]",
  ]);
});

Deno.test("differences() exactly also reports unexpected fields", () => {
  assert.deepEqual(differences({ a: 1 }, { a: 1, z: 2 }, false), ["/z: unexpected, got 2"]);
  assert.deepEqual(differences("text", { a: 1 }, false), ['(body): expected "text", got {"a":1}']);
});

Deno.test("differences() walks a deeply nested answer without recursion", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 50_000; i++) deep = { n: deep };
  assert.equal(differences(deep, deep, true).length, 0);
});
