/**
 * The JIT loop's other faces: the MCP tools with the official SDK client and an app
 * key, and `kiln jit list|generate|status|promote|rollback` against a listening Kiln.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/mod.ts";
import { ADMIN_TOKEN } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import { connectV1 } from "./_support/mcp_clients.ts";
import {
  APP,
  COMPONENT,
  jitLlm,
  phoneAppFiles,
  postPhone,
  recordTraffic,
  serveCoder,
  US_HANDLER,
  US_TESTS,
  usPhones,
} from "./_support/jit.ts";

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

Deno.test("core.jit.* over MCP with an app key, and kiln jit on the command line", async () => {
  const us = usPhones(32, 7);
  const cassette = await recordTraffic(us);
  const coder = serveCoder([{ handler: US_HANDLER, tests: US_TESTS }]);
  const k = await startMcpKiln({
    llm: jitLlm(cassette, coder),
    kiln: { optimization: { evaluateEveryMs: 0 }, random: () => 0.99 },
  });
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: phoneAppFiles() });
    for (const phone of [...us, ...us]) {
      assert.equal((await postPhone(k.handler, phone)).status, 200);
    }
    await k.kiln.jitService.idle();
    const { apiKey } = await adminApi(k.url, "POST", `/v1/apps/${APP}/keys`, {
      description: "jit operator",
      permissions: ["jit:read", "jit:write"],
    });
    const readOnly = await adminApi(k.url, "POST", `/v1/apps/${APP}/keys`, {
      permissions: ["jit:read"],
    });

    // MCP: the manual trigger and its progress, as the app's operator.
    const { client } = await connectV1(k.mcpUrl, apiKey);
    try {
      const listed = await client.callTool({ name: "core.jit.list", arguments: {} });
      const components = (listed.structuredContent as { components: { samples: number }[] })
        .components;
      assert.equal(components[0].samples, 64);
      const started = await client.callTool({
        name: "core.jit.generate",
        arguments: { componentId: COMPONENT, reason: "hot and stable" },
      });
      assert.ok(!started.isError, JSON.stringify(started.content));
      const { generationId } = started.structuredContent as { generationId: string };
      await k.kiln.jitService.wait(APP, COMPONENT);
      const gen = await client.callTool({
        name: "core.jit.generation",
        arguments: { generationId },
      });
      const g = gen.structuredContent as { status: string; report: { gate: { total: number } } };
      assert.equal(g.status, "activated", JSON.stringify(g));
      assert.equal(g.report.gate.total, 20);
      const busy = await client.callTool({
        name: "core.jit.rollback",
        arguments: { componentId: "nope" },
      });
      assert.equal(busy.isError, true);
      const audit = await client.callTool({ name: "core.optimization.audit", arguments: {} });
      const entries = (audit.structuredContent as { entries: { action: string; reason: string }[] })
        .entries;
      assert.equal(entries[0].action, "activated");
      assert.equal(entries.at(-1)!.reason, "hot and stable");
    } finally {
      await client.close();
    }
    const { client: reader } = await connectV1(k.mcpUrl, readOnly.apiKey);
    try {
      const denied = await reader.callTool({
        name: "core.jit.rollback",
        arguments: { componentId: COMPONENT },
      });
      assert.equal(denied.isError, true, "jit:read does not allow a rollback");
      assert.match(JSON.stringify(denied.content), /FORBIDDEN/);
    } finally {
      await reader.close();
    }

    // CLI against the listening Kiln.
    const cli = async (...args: string[]) => {
      const c = captureIo();
      const code = await runCli(["jit", ...args, "--url", k.url, "--token", ADMIN_TOKEN], c.io);
      return { code, out: c.out.join("\n"), err: c.err.join("\n") };
    };
    const list = await cli("list", APP);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`${COMPONENT}\\s+(shadow|active)\\s+v1`));
    const rolled = await cli("rollback", APP, COMPONENT, "--reason", "testing the CLI");
    assert.equal(rolled.code, 0, rolled.err);
    assert.match(rolled.out, /back on the LLM/);
    assert.equal((await postPhone(k.handler, us[0])).provenance, "recording");
    const promoted = await cli("promote", APP, COMPONENT, "v1");
    assert.equal(promoted.code, 0, promoted.err);
    assert.match(promoted.out, /now runs v1/);
    assert.equal((await postPhone(k.handler, us[0])).tier, "wasm");
    const regenerated = await cli("generate", APP, COMPONENT, "--wait");
    assert.equal(regenerated.code, 0, regenerated.err);
    assert.match(regenerated.out, /\[gate\] gate agreement 20\/20/);
    assert.match(regenerated.out, /\[done\] activated/);
    const status = await cli("status", APP, COMPONENT);
    assert.match(status.out, /v1\s+promoted/);
    assert.match(status.out, /v2\s+activated/);
    const missing = await cli("promote", APP, COMPONENT, "v9");
    assert.equal(missing.code, 4, "not found");
    assert.match(missing.err, /NOT_FOUND.*v9/);
    assert.equal((await cli("status", APP)).code, 2, "a missing argument is misuse");
  } finally {
    await k.close();
    await coder.close();
  }
});
