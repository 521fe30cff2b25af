import assert from "node:assert/strict";
import { Lazy, silentLogger } from "../core/mod.ts";
import { failed, withTools } from "../../tests/_support/tools.ts";
import { ToolRegistry } from "../mcp/mod.ts";
import { coreTools } from "./core_tools.ts";

Deno.test("metric tools answer UNAVAILABLE on a node without a collector", async () => {
  await withTools(async ({ t, admin }) => {
    const { state, registry } = t.kiln;
    const bare = new ToolRegistry(
      { registry, logger: silentLogger, invoker: new Lazy("app invoker") },
      coreTools({ state, registry, jit: new Lazy("jit") }),
    );
    try {
      const calls: [string, Record<string, unknown>][] = [
        ["core.metrics.query", { name: "kiln.invocations" }],
        ["core.metrics.list", {}],
        ["core.metrics.record", { name: "app.a", kind: "sum", value: 1 }],
      ];
      for (const [name, args] of calls) {
        assert.match(failed(await bare.call(name, args, admin), "UNAVAILABLE").message, /metric/);
      }
    } finally {
      bare.close();
    }
  });
});

Deno.test("an app records and reads only its own app.* metrics; other apps see nothing", async () => {
  await withTools(async ({ tools, key }) => {
    const shop = key(["metrics:*"]);
    const rec = await tools.call("core.metrics.record", {
      name: "app.signups",
      kind: "gauge",
      value: 3,
      labels: { appId: "bank" },
    }, shop);
    assert.ok(!rec.isError, JSON.stringify(rec.content));
    const mine = await tools.call("core.metrics.query", { name: "app.signups" }, shop);
    const series = (mine.structuredContent as { series: { labels: unknown }[] }).series;
    assert.deepEqual(series.map((s) => s.labels), [{ appId: "shop" }]);
    const theirs = await tools.call(
      "core.metrics.query",
      { name: "app.signups" },
      key(["*"], "bank"),
    );
    assert.deepEqual((theirs.structuredContent as { series: unknown[] }).series, []);
    failed(
      await tools.call("core.metrics.query", { name: "app.signups" }, key(["runtime:*"])),
      "FORBIDDEN",
    );
    failed(
      await tools.call(
        "core.metrics.record",
        { name: "app.x", kind: "sum", value: 1 },
        key(["metrics:read"]),
      ),
      "FORBIDDEN",
    );
    failed(
      await tools.call("core.metrics.query", { name: "app.signups", stepMs: 1000 }, shop),
      "VALIDATION_ERROR",
    );
  });
});
