import assert from "node:assert/strict";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";

Deno.test("runtime tools set, read, count and delete values of the caller's app only", async () => {
  await withTools(async ({ tools, admin, key }) => {
    const value = { cart: [1, 2], note: "hi", nested: { ok: true, none: null } };
    assert.deepEqual(
      ok(await tools.call("core.state.setRuntimeValue", { key: "k", value }, admin)),
      { success: true },
    );
    assert.deepEqual(
      ok(await tools.call("core.state.getRuntimeValue", { key: "k" }, key(["runtime:read"]))),
      { found: true, value },
    );
    const bank = key(["*"], "bank");
    assert.deepEqual(ok(await tools.call("core.state.getRuntimeValue", { key: "k" }, bank)), {
      found: false,
    });
    assert.deepEqual(
      ok(await tools.call("core.state.incrementRuntimeValue", { key: "n" }, admin)),
      { value: 1 },
    );
    assert.deepEqual(
      ok(await tools.call("core.state.incrementRuntimeValue", { key: "n", by: 41 }, admin)),
      { value: 42 },
    );
    failed(
      await tools.call("core.state.incrementRuntimeValue", { key: "k" }, admin),
      "VALIDATION_ERROR",
    );
    assert.deepEqual(ok(await tools.call("core.state.deleteRuntimeValue", { key: "k" }, admin)), {
      deleted: true,
    });
    assert.deepEqual(ok(await tools.call("core.state.deleteRuntimeValue", { key: "k" }, admin)), {
      deleted: false,
    });
  });
});

Deno.test("setRuntimeValue() refuses a missing value, a bad TTL and unknown arguments", async () => {
  await withTools(async ({ tools, admin }) => {
    const cases = [
      { key: "k" },
      { key: "k", value: 1, ttlSeconds: -5 },
      { key: "", value: 1 },
      { key: "k", value: 1, appId: "bank" },
    ];
    for (const args of cases) {
      const error = failed(await tools.call("core.state.setRuntimeValue", args, admin));
      assert.equal(error.code, "VALIDATION_ERROR", JSON.stringify(args));
      assert.ok(Array.isArray((error.details as { issues: unknown[] }).issues));
    }
  });
});
