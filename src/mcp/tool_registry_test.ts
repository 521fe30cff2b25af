import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import { KilnError, Lazy, Logger } from "../core/mod.ts";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";
import type { AppInvoker } from "./app_tools.ts";
import type { ToolDefinition } from "./tool.ts";
import { ToolRegistry, type ToolRegistryDeps } from "./tool_registry.ts";

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

function custom(name: string, handler: ToolDefinition["handler"]): ToolDefinition {
  return {
    name,
    title: name,
    description: `test tool ${name}`,
    scope: "app",
    permission: "runtime:read",
    annotations: READ,
    inputSchema: z.strictObject({ n: z.number() }),
    outputSchema: z.object({ doubled: z.number() }),
    handler,
  };
}

Deno.test("list() gives every core tool object-typed, strict-valid JSON Schemas and aliases", async () => {
  await withTools(({ tools }) => {
    const listing = tools.list({ kind: "admin" });
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const core = listing.filter((l) => l.name.startsWith("core."));
    assert.deepEqual(core.map((l) => l.name).sort(), [
      "core.filesystem.readFile",
      "core.filesystem.writeFile",
      "core.framework.deregisterApplication",
      "core.framework.getApplicationDetails",
      "core.framework.getApplicationStatus",
      "core.framework.getConfigValue",
      "core.framework.listActiveApplications",
      "core.framework.logFrameworkMessage",
      "core.framework.registerApplication",
      "core.jit.generate",
      "core.jit.generation",
      "core.jit.list",
      "core.jit.promote",
      "core.jit.rollback",
      "core.jit.status",
      "core.linux.executeCommand",
      "core.llm.generate",
      "core.metrics.list",
      "core.metrics.query",
      "core.metrics.record",
      "core.optimization.audit",
      "core.optimization.evaluate",
      "core.state.applyDefinitionDiff",
      "core.state.applyStateDiff",
      "core.state.deleteDefinitionFile",
      "core.state.deleteRuntimeValue",
      "core.state.getDefinitionFileContent",
      "core.state.getFileContent",
      "core.state.getRuntimeValue",
      "core.state.incrementRuntimeValue",
      "core.state.listDefinitionDirectory",
      "core.state.setDefinitionFileContent",
      "core.state.setRuntimeValue",
    ]);
    for (const tool of core) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        assert.equal(schema.type, "object", tool.name);
        assert.equal(schema.$schema, undefined, tool.name);
        ajv.compile(schema);
      }
      // LLM tool APIs refuse a union at the top of a tool's input.
      for (const union of ["anyOf", "oneOf", "allOf"]) {
        assert.equal(tool.inputSchema[union], undefined, `${tool.name} has a top-level ${union}`);
      }
      assert.ok(tool.title && tool.description, tool.name);
      assert.equal(typeof tool.annotations.readOnlyHint, "boolean");
    }
    const alias = listing.find((l) => l.name === "core.state.getFileContent")!;
    assert.match(alias.description, /^Alias of core\.state\.getDefinitionFileContent\./);
    const canonical = listing.find((l) => l.name === "core.state.getDefinitionFileContent")!;
    assert.equal(alias.inputSchema, canonical.inputSchema, "schemas are generated once per tool");
    const input = listing.find((l) => l.name === "core.state.setRuntimeValue")!.inputSchema;
    assert.deepEqual(input.required, ["key", "value"]);
    assert.equal(input.additionalProperties, false);
    assert.equal((input.properties as Record<string, unknown>).appId, undefined);
  });
});

Deno.test("call() answers an unknown tool with a thrown NOT_FOUND", async () => {
  await withTools(async ({ tools, admin }) => {
    for (const name of ["core.nope", "app.ghost.x", "app.shop.ghost", "app.shop"]) {
      await assert.rejects(
        tools.call(name, {}, admin),
        (e) => e instanceof KilnError && e.code === "NOT_FOUND",
      );
    }
  });
});

Deno.test("call() needs an app for app tools, and the app must be registered", async () => {
  await withTools(async ({ tools }) => {
    const unbound = failed(
      await tools.call("core.state.getRuntimeValue", { key: "k" }, { kind: "admin" }),
      "FORBIDDEN",
    );
    assert.match(unbound.message, /not bound to an app; select one with \?app=<appId>/);
    failed(
      await tools.call("core.state.getRuntimeValue", { key: "k" }, {
        kind: "admin",
        appId: "ghost",
      }),
      "APP_NOT_FOUND",
    );
  });
});

Deno.test("call() turns handler failures into isError results and never leaks internals", async () => {
  await withTools(async ({ t, tools: _, admin }) => {
    const tools = new ToolRegistry({
      registry: t.kiln.registry,
      logger: new Logger({}, "error", () => {}),
      invoker: new Lazy("app invoker"),
    }, [
      custom("test.double", (i) => Promise.resolve({ doubled: (i as { n: number }).n * 2 })),
      custom("test.wrong", () => Promise.resolve({ doubled: "two" } as never)),
      custom("test.crash", () => Promise.reject(new Error("secret path /etc/x"))),
      custom("test.refuse", () => Promise.reject(new KilnError("CONFLICT", "stale", { at: 1 }))),
    ]);
    try {
      assert.deepEqual(ok(await tools.call("test.double", { n: 21 }, admin)), { doubled: 42 });
      assert.deepEqual(failed(await tools.call("test.refuse", { n: 1 }, admin), "CONFLICT"), {
        code: "CONFLICT",
        message: "stale",
        details: { at: 1 },
      });
      failed(await tools.call("test.wrong", { n: 1 }, admin), "INTERNAL");
      const crash = failed(await tools.call("test.crash", { n: 1 }, admin), "INTERNAL");
      assert.doesNotMatch(crash.message, /secret/);
      const invalid = failed(
        await tools.call("test.double", { n: "x" }, admin),
        "VALIDATION_ERROR",
      );
      assert.deepEqual((invalid.details as { issues: { field: string }[] }).issues[0].field, "n");
    } finally {
      tools.close();
    }
  });
});

Deno.test("ToolRegistry refuses duplicate names and the reserved app.* names", async () => {
  await withTools(({ t }) => {
    const deps: ToolRegistryDeps = {
      registry: t.kiln.registry,
      logger: new Logger(),
      invoker: new Lazy("app invoker"),
    };
    const tool = custom("test.a", () => Promise.resolve({ doubled: 0 }));
    assert.throws(() => new ToolRegistry(deps, [tool, tool]), /taken/);
    assert.throws(() => new ToolRegistry(deps, [{ ...tool, aliases: ["app.x.y"] }]), /taken/);
    return Promise.resolve();
  });
});

Deno.test("app tools run through the invoker set after construction, and fail INTERNAL before", async () => {
  await withTools(async ({ t, key }) => {
    const records: Record<string, unknown>[] = [];
    const invoker = new Lazy<AppInvoker>("app invoker");
    const tools = new ToolRegistry({
      registry: t.kiln.registry,
      logger: new Logger({}, "error", (r) => records.push(r)),
      invoker,
    }, []);
    try {
      const caller = key(["invoke"]);
      const early = failed(await tools.call("app.shop.getUser", { id: "7" }, caller), "INTERNAL");
      assert.doesNotMatch(early.message, /invoker/, "the wiring fault stays out of the answer");
      const logged = records.find((r) => r.msg === "tool failed")!;
      assert.match(String(logged.error), /app invoker is used before it is set/);
      assert.match(String(logged.stack), /lazy\.ts/);

      const seen: unknown[][] = [];
      invoker.set((appId, componentId, input, who) => {
        seen.push([appId, componentId, input, who]);
        return Promise.resolve({ ran: `${appId}.${componentId}` });
      });
      assert.deepEqual(ok(await tools.call("app.shop.getUser", { id: "7" }, caller)), {
        ran: "shop.getUser",
      });
      assert.deepEqual(seen, [["shop", "getUser", { id: "7" }, caller]]);
    } finally {
      tools.close();
    }
  });
});

Deno.test("every call logs one line and counts per tool, app and outcome", async () => {
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({}, "info", (r) => records.push(r));
  await withTools(async ({ tools, admin, key }) => {
    await tools.call("core.state.getRuntimeValue", { key: "k" }, admin, { requestId: "r1" });
    await tools.call("core.state.getRuntimeValue", { key: "k" }, admin);
    await tools.call("core.state.getRuntimeValue", {}, admin);
    await tools.call("core.state.getRuntimeValue", { key: "k" }, key(["invoke"]));
    await tools.call("core.llm.generate", { prompt: "p" }, admin);
    const lines = records.filter((r) => r.msg === "mcp tool call");
    assert.equal(lines.length, 5);
    const { durationMs, ts: _ts, ...first } = lines[0];
    assert.equal(typeof durationMs, "number");
    assert.deepEqual(first, {
      level: "info",
      msg: "mcp tool call",
      tool: "core.state.getRuntimeValue",
      appId: "shop",
      callerKind: "admin",
      outcome: "ok",
      requestId: "r1",
    });
    assert.deepEqual(lines.map((l) => [l.outcome, l.code]), [
      ["ok", undefined],
      ["ok", undefined],
      ["invalid", "VALIDATION_ERROR"],
      ["forbidden", "FORBIDDEN"],
      ["error", "LLM_NOT_CONFIGURED"],
    ]);
    const stats = tools.stats().map(({ totalDurationMs, ...s }) => {
      assert.ok(totalDurationMs >= 0);
      return s;
    });
    assert.deepEqual(stats, [
      { tool: "core.llm.generate", appId: "shop", outcome: "error", count: 1 },
      { tool: "core.state.getRuntimeValue", appId: "shop", outcome: "forbidden", count: 1 },
      { tool: "core.state.getRuntimeValue", appId: "shop", outcome: "invalid", count: 1 },
      { tool: "core.state.getRuntimeValue", appId: "shop", outcome: "ok", count: 2 },
    ]);
  }, { logger });
});
