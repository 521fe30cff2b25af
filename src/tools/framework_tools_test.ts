import assert from "node:assert/strict";
import { Logger } from "../core/mod.ts";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";

Deno.test("getConfigValue() resolves component over app, defaulting to the token's component", async () => {
  await withTools(async ({ tools, admin, exec }) => {
    assert.deepEqual(
      ok(await tools.call("core.framework.getConfigValue", { key: "greeting" }, admin)),
      {
        found: true,
        value: "hello",
        source: "app",
      },
    );
    const asComponent = exec(["core.framework.getConfigValue"]);
    assert.deepEqual(
      ok(await tools.call("core.framework.getConfigValue", { key: "greeting" }, asComponent)),
      { found: true, value: "hi", source: "component" },
    );
    assert.deepEqual(
      ok(await tools.call("core.framework.getConfigValue", { key: "llm.model" }, admin)),
      { found: true, value: "small", source: "app" },
    );
    assert.deepEqual(
      ok(await tools.call("core.framework.getConfigValue", { key: "nope" }, admin)),
      { found: false },
    );
    failed(
      await tools.call("core.framework.getConfigValue", { key: "x", componentId: "ghost" }, admin),
      "COMPONENT_NOT_FOUND",
    );
  });
});

Deno.test("logFrameworkMessage() logs with the app and component, and caps sizes", async () => {
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({}, "debug", (r) => records.push(r));
  await withTools(async ({ tools, exec }) => {
    const caller = exec(["core.framework.logFrameworkMessage"]);
    const args = { level: "warn", message: "disk almost full", fields: { pct: 93 } };
    assert.deepEqual(ok(await tools.call("core.framework.logFrameworkMessage", args, caller)), {
      logged: true,
    });
    const line = records.find((r) => r.msg === "disk almost full");
    assert.ok(line);
    assert.equal(line.level, "warn");
    assert.equal(line.appId, "shop");
    assert.equal(line.componentId, "getUser");
    assert.equal(line.source, "app");
    assert.deepEqual(line.fields, { pct: 93 });
    for (
      const bad of [
        { ...args, message: "x".repeat(8 * 1024 + 1) },
        { ...args, fields: { blob: "y".repeat(16 * 1024) } },
        { ...args, level: "fatal" },
      ]
    ) {
      failed(
        await tools.call("core.framework.logFrameworkMessage", bad, caller),
        "VALIDATION_ERROR",
      );
    }
  }, { logger });
});
