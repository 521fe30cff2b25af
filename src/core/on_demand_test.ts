import assert from "node:assert/strict";
import { KilnError } from "./errors/mod.ts";
import { OnDemand } from "./on_demand.ts";

Deno.test("OnDemand loads once for concurrent first uses", async () => {
  let loads = 0;
  const part = new OnDemand("a part", async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 5));
    return { n: loads };
  });
  assert.equal(part.loaded, undefined);
  const [a, b] = await Promise.all([part.get(), part.get()]);
  assert.equal(a, b);
  assert.equal(loads, 1);
  assert.equal(part.loaded, a);
  assert.equal(await part.get(), a);
});

Deno.test("OnDemand turns a failed load into a 500 without its reason and tries again", async () => {
  let fail = true;
  const part = new OnDemand("the flaky part", () => {
    if (fail) return Promise.reject(new Error("module not found"));
    return Promise.resolve("ok");
  });
  const err = await part.get().catch((e) => e);
  assert.ok(err instanceof KilnError);
  assert.equal(err.code, "INTERNAL");
  assert.equal(err.status, 500);
  assert.equal(err.message, "the flaky part could not be loaded");
  assert.doesNotMatch(err.message, /module not found/, "the reason is not shown to callers");
  assert.match(String((err.cause as Error).message), /module not found/, "it is kept as the cause");
  assert.equal(await part.settled(), undefined);
  fail = false;
  assert.equal(await part.get(), "ok");
});
