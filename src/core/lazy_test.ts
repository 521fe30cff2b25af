import assert from "node:assert/strict";
import { Lazy } from "./lazy.ts";

Deno.test("Lazy.get() before set() throws naming the reference", () => {
  const ref = new Lazy<number>("the router");
  assert.equal(ref.ready, false);
  assert.throws(() => ref.get(), /the router is used before it is set/);
});

Deno.test("Lazy.set() fills the reference once; a second set throws", () => {
  const ref = new Lazy<string>("the tool registry");
  ref.set("tools");
  assert.equal(ref.get(), "tools");
  assert.equal(ref.ready, true);
  assert.throws(() => ref.set("other"), /the tool registry is already set/);
  assert.equal(ref.get(), "tools");
});
