import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { coreToolSchemas } from "../src/tools/mod.ts";
import { minimalApp } from "./_support/kiln.ts";
import { startMcpKiln } from "./_support/mcp.ts";
import { connectV1, connectV2, rawCall, within } from "./_support/mcp_clients.ts";

/** Every core tool name, aliases included (contract §6). */
const CORE_TOOL_NAMES = [
  ...coreToolSchemas().map((t) => t.name),
  "core.state.applyStateDiff",
  "core.state.getFileContent",
].sort();

const CORE = [
  "core.framework.listActiveApplications",
  "core.state.getRuntimeValue",
  "core.state.setRuntimeValue",
];

async function registerApp(url: string, appId: string): Promise<void> {
  const res = await fetch(`${url}/v1/apps`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Authorization": "Bearer test-admin-token-0123456789abcdef",
    },
    body: JSON.stringify({ files: minimalApp(appId) }),
  });
  assert.equal(res.status, 201, await res.text());
}

Deno.test("a v1 SDK client (2025-11-25) initializes a session, lists and calls tools", async () => {
  const k = await startMcpKiln();
  try {
    await registerApp(k.url, "shop");
    const { client, transport } = await connectV1(new URL(`${k.mcpUrl}?app=shop`));
    assert.equal(transport.protocolVersion, "2025-11-25");
    assert.match(transport.sessionId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(k.endpoint.sessionCount, 1);
    assert.deepEqual(client.getServerCapabilities()?.tools, { listChanged: true });
    assert.equal(client.getServerVersion()?.name, "kiln");

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.deepEqual(names.filter((n) => n.startsWith("app.")).sort(), [
      "app.shop.createUser",
      "app.shop.getUser",
    ]);
    assert.deepEqual(names.filter((n) => !n.startsWith("app.")).sort(), CORE_TOOL_NAMES);
    assert.equal(tools[0].inputSchema.type, "object");

    const set = await client.callTool({
      name: "core.state.setRuntimeValue",
      arguments: { key: "cart", value: { items: [1, 2] } },
    });
    assert.deepEqual(set.structuredContent, { success: true });
    const got = await client.callTool({
      name: "core.state.getRuntimeValue",
      arguments: { key: "cart" },
    });
    assert.deepEqual(got.structuredContent, { found: true, value: { items: [1, 2] } });
    assert.equal(
      await k.kiln.state.runtime.getRuntimeValue("shop", "cart").then((r) => r.found),
      true,
    );
    const apps = await client.callTool({ name: "core.framework.listActiveApplications" });
    assert.deepEqual(
      (apps.structuredContent as { apps: { appId: string; status: string }[] }).apps.map((a) => [
        a.appId,
        a.status,
      ]),
      [["shop", "ACTIVE"]],
    );
    const app = await client.callTool({ name: "app.shop.getUser", arguments: { id: "9" } });
    assert.equal(app.isError, undefined, JSON.stringify(app.content));
    assert.deepEqual(
      (app.structuredContent as { ok: boolean; req: { input: unknown } }).req.input,
      { id: "9" },
      "the component ran in a sandbox tier and saw the tool arguments",
    );

    const invalid = await client.callTool({ name: "core.state.getRuntimeValue", arguments: {} });
    assert.equal(invalid.isError, true);
    assert.match(JSON.stringify(invalid.content), /VALIDATION_ERROR/);
    await assert.rejects(
      client.callTool({ name: "core.nothing", arguments: {} }),
      (err: Error & { code?: number }) => err.code === -32602 && /core\.nothing/.test(err.message),
    );
    assert.deepEqual(await client.ping(), {});
    assert.deepEqual(await client.setLoggingLevel("warning"), {});

    await transport.terminateSession();
    assert.equal(k.endpoint.sessionCount, 0);
    await client.close();
  } finally {
    await k.close();
  }
});

Deno.test("a v2 SDK client pinned to 2026-07-28 lists and calls tools without a session", async () => {
  const k = await startMcpKiln();
  try {
    await registerApp(k.url, "shop");
    const { client, transport } = await connectV2(new URL(`${k.mcpUrl}?app=shop`));
    assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
    assert.equal(transport.sessionId, undefined);
    assert.equal(k.endpoint.sessionCount, 0);

    const { tools } = await client.listTools();
    assert.ok(CORE.every((name) => tools.some((t) => t.name === name)));
    await client.callTool({
      name: "core.state.setRuntimeValue",
      arguments: { key: "n", value: 7 },
    });
    const got = await client.callTool({
      name: "core.state.getRuntimeValue",
      arguments: { key: "n" },
    });
    assert.deepEqual(got.structuredContent, { found: true, value: 7 });
    await assert.rejects(
      client.callTool({ name: "core.nothing", arguments: {} }),
      (err: Error & { code?: number }) => err.code === -32602,
    );
    await client.close();
  } finally {
    await k.close();
  }
});

Deno.test("sandbox-style raw calls are served statelessly, without a session", async () => {
  const k = await startMcpKiln();
  try {
    await registerApp(k.url, "shop");
    await k.kiln.state.runtime.setRuntimeValue("shop", "hot", { v: 1 });
    const mcp = new URL(`${k.mcpUrl}?app=shop`);
    for (const id of [1, 2, 3]) {
      const res = await rawCall(mcp, {
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "core.state.getRuntimeValue", arguments: { key: "hot" } },
      }, { "Mcp-Protocol-Version": "2025-11-25" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("mcp-session-id"), null);
      assert.equal(res.json.id, id);
      assert.deepEqual(res.json.result.structuredContent, { found: true, value: { v: 1 } });
    }
    const withMeta = await rawCall(mcp, {
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "core.state.getRuntimeValue", arguments: { key: "hot" }, _meta: {} },
    });
    assert.deepEqual(withMeta.json.result.structuredContent, { found: true, value: { v: 1 } });
    const list = await rawCall(mcp, { jsonrpc: "2.0", id: 9, method: "tools/list" });
    assert.ok(list.json.result.tools.length >= CORE.length);
    assert.equal(k.endpoint.sessionCount, 0);
    const note = await rawCall(mcp, { jsonrpc: "2.0", method: "notifications/initialized" });
    assert.equal(note.status, 202);
  } finally {
    await k.close();
  }
});

Deno.test("every live session hears tools/list_changed when an app registers", async () => {
  const k = await startMcpKiln();
  try {
    const v1 = await connectV1(k.mcpUrl);
    let heardV1!: () => void;
    const v1Heard = new Promise<void>((r) => heardV1 = r);
    v1.client.setNotificationHandler(ToolListChangedNotificationSchema, () => heardV1());
    let changedV2!: (names: string[]) => void;
    const v2Changed = new Promise<string[]>((r) => changedV2 = r);
    const v2 = await connectV2(k.mcpUrl, undefined, {
      listChanged: {
        tools: {
          debounceMs: 0,
          onChanged: (err, tools) => {
            if (!err && tools) changedV2(tools.map((t) => t.name));
          },
        },
      },
    });
    await within(v1.watch.opened, 5000, "the v1 listen stream");
    await registerApp(k.url, "shop");
    await within(v1Heard, 5000, "v1 list_changed");
    const names = await within(v2Changed, 5000, "v2 list_changed");
    assert.ok(names.includes("app.shop.getUser"), names.join(","));
    const { tools } = await v1.client.listTools();
    assert.ok(tools.some((t) => t.name === "app.shop.createUser"));
    await v1.client.close();
    await v2.client.close();
  } finally {
    await k.close();
  }
});
