import assert from "node:assert/strict";
import { ExecutionTokens } from "../auth/mod.ts";
import { KilnError, Logger, silentLogger } from "../core/mod.ts";
import { withTools } from "../../tests/_support/tools.ts";
import { executionHost } from "./execution_host.ts";

const isCode = (code: string) => (err: unknown) => err instanceof KilnError && err.code === code;

Deno.test("ExecutionHost.callTool() runs tools as the execution token allows, nothing more", async () => {
  await withTools(async ({ t, tools }) => {
    await t.kiln.state.runtime.setRuntimeValue("shop", "stock", 12);
    let now = Date.now();
    const executionTokens = await ExecutionTokens.open(t.kiln.store, { now: () => now });
    const { token } = executionTokens.mint({
      appId: "shop",
      componentId: "getUser",
      tools: ["core.state.getRuntimeValue"],
      ttlSeconds: 60,
    });
    const host = executionHost({ tools, executionTokens, logger: silentLogger }, {
      requestId: "r1",
      appId: "shop",
      componentId: "getUser",
      token,
    });
    assert.deepEqual(await host.callTool("core.state.getRuntimeValue", { key: "stock" }), {
      found: true,
      value: 12,
    });
    await assert.rejects(
      host.callTool("core.state.setRuntimeValue", { key: "stock", value: 0 }),
      isCode("FORBIDDEN"),
    );
    await assert.rejects(host.callTool("core.nope", {}), isCode("NOT_FOUND"));
    await assert.rejects(
      host.callTool("core.state.getRuntimeValue", { key: 5 }),
      isCode("VALIDATION_ERROR"),
    );
    now += 61_000;
    await assert.rejects(
      host.callTool("core.state.getRuntimeValue", { key: "stock" }),
      (err: unknown) => isCode("UNAUTHORIZED")(err) && /expired/.test((err as Error).message),
    );
  });
});

Deno.test("ExecutionHost.log() writes guest lines under Kiln's own fields, capped", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({}, "debug", (r) => lines.push(r));
  await withTools(({ tools, t }) => {
    const host = executionHost({ tools, executionTokens: t.kiln.executionTokens, logger }, {
      requestId: "r2",
      appId: "shop",
      componentId: "getUser",
      token: "unused",
    });
    host.log("warn", "careful", { appId: "bank", n: 1 }, "console");
    host.log("info", "x".repeat(20_000));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    host.log("error", "odd fields", cyclic);
    host.log("loud" as "info", "unknown level");
    assert.deepEqual(lines[0], {
      ts: lines[0].ts,
      level: "warn",
      msg: "careful",
      requestId: "r2",
      appId: "shop",
      componentId: "getUser",
      source: "console",
      fields: { appId: "bank", n: 1 },
    });
    assert.equal((lines[1].msg as string).length, 8 * 1024 + 1);
    assert.equal(lines[1].source, "sdk");
    assert.deepEqual(lines[2].fields, { unserializable: true });
    assert.equal(lines[3].level, "info");
  });
});
