/**
 * Every contract §6 tool, end to end: the official SDK client over `/mcp` on a real socket, against
 * Kiln's own tool registry, with tokens minted through the HTTP API.
 */
import assert from "node:assert/strict";
import { minimalApp } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import { connectV1, connectV2, rawCall } from "./_support/mcp_clients.ts";

const PERMITTED = `components:
  - componentId: getUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    routeMatcher: { pathPattern: /api/users/:id, methods: [GET] }
    permissions: [core.state.getRuntimeValue, core.filesystem.readFile]
`;

Deno.test("every core tool works through /mcp with the SDK client; unconfigured llm and linux say why", async () => {
  const k = await startMcpKiln();
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("shop") });
    const { client } = await connectV1(new URL(`${k.mcpUrl}?app=shop`));
    // deno-lint-ignore no-explicit-any -- tests index freely into tool answers
    const call = async (name: string, args: Record<string, unknown> = {}): Promise<any> => {
      const result = await client.callTool({ name, arguments: args });
      assert.ok(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
      return result.structuredContent;
    };

    assert.deepEqual(await call("core.framework.getConfigValue", { key: "greeting" }), {
      found: true,
      value: "hello",
      source: "app",
    });
    assert.equal(
      (await call("core.framework.getConfigValue", { key: "greeting", componentId: "getUser" }))
        .value,
      "hi",
    );
    assert.deepEqual(
      await call("core.framework.logFrameworkMessage", { level: "info", message: "hello" }),
      { logged: true },
    );

    const file = await call("core.state.getDefinitionFileContent", { filePath: "code/users.ts" });
    assert.equal(file.found, true);
    const alias = await call("core.state.getFileContent", { filePath: "code/users.ts" });
    assert.deepEqual(alias, file);
    const set = await call("core.state.setDefinitionFileContent", {
      filePath: "code/extra.ts",
      content: "export const a = 1;\n",
      commitMessage: "add extra",
      expectedBaseRevision: file.revision,
    });
    assert.match(set.resultingRevision, /^[0-9a-f]{40}$/);
    const diff = "--- a/code/extra.ts\n+++ b/code/extra.ts\n@@ -1 +1 @@\n" +
      "-export const a = 1;\n+export const a = 2;\n";
    const patched = await call("core.state.applyDefinitionDiff", {
      filePath: "code/extra.ts",
      diffContent: diff,
      expectedBaseRevision: set.resultingRevision,
      commitMessage: "bump",
    });
    const stale = await client.callTool({
      name: "core.state.applyStateDiff",
      arguments: {
        filePath: "code/extra.ts",
        diffContent: diff,
        expectedBaseRevision: set.resultingRevision,
        commitMessage: "again",
      },
    });
    assert.equal(stale.isError, true, "a stale base is refused through the alias too");
    assert.match(JSON.stringify(stale.content), /CONFLICT/);
    assert.equal(
      (await call("core.state.getDefinitionFileContent", { filePath: "code/extra.ts" })).content,
      "export const a = 2;\n",
    );
    const listing = await call("core.state.listDefinitionDirectory", { directoryPath: "code" });
    assert.deepEqual(listing.entries.map((e: { path: string }) => e.path).sort(), [
      "code/extra.ts",
      "code/users.ts",
    ]);
    const removed = await call("core.state.deleteDefinitionFile", {
      filePath: "code/extra.ts",
      commitMessage: "drop extra",
      expectedBaseRevision: patched.resultingRevision,
    });
    const history = await adminApi(k.url, "GET", "/v1/apps/shop/definitions/history");
    assert.equal(history.commits[0].revision, removed.resultingRevision);

    assert.deepEqual(await call("core.state.setRuntimeValue", { key: "n", value: 1 }), {
      success: true,
    });
    assert.deepEqual(await call("core.state.incrementRuntimeValue", { key: "c", by: 2 }), {
      value: 2,
    });
    assert.deepEqual(await call("core.state.getRuntimeValue", { key: "n" }), {
      found: true,
      value: 1,
    });
    assert.deepEqual(await call("core.state.deleteRuntimeValue", { key: "n" }), { deleted: true });
    assert.deepEqual(await call("core.filesystem.writeFile", { path: "a/b.txt", content: "x" }), {
      written: true,
      bytes: 1,
    });
    assert.equal((await call("core.filesystem.readFile", { path: "a/b.txt" })).content, "x");

    const registered = await call("core.framework.registerApplication", {
      files: minimalApp("bank"),
    });
    assert.equal(registered.appId, "bank");
    assert.equal(
      (await call("core.framework.getApplicationDetails", { appId: "bank" })).appId,
      "bank",
    );
    assert.equal(
      (await call("core.framework.getApplicationStatus", { appId: "bank" })).status,
      "ACTIVE",
    );
    const active = await call("core.framework.listActiveApplications");
    assert.deepEqual(active.apps.map((a: { appId: string }) => a.appId).sort(), ["bank", "shop"]);
    assert.deepEqual(
      await call("core.framework.deregisterApplication", { appId: "bank", deleteState: true }),
      { deregistered: true },
    );
    const apps = await adminApi(k.url, "GET", "/v1/apps");
    assert.deepEqual(apps.apps.map((a: { appId: string }) => a.appId), ["shop"]);

    for (
      const [name, args, code] of [
        ["core.llm.generate", { prompt: "hi" }, /LLM_NOT_CONFIGURED/],
        ["core.linux.executeCommand", { command: "/bin/echo", arguments: ["hi"] }, /UNAVAILABLE/],
      ] as const
    ) {
      const result = await client.callTool({ name, arguments: args });
      assert.equal(result.isError, true);
      assert.match(JSON.stringify(result.content), code);
    }
    await client.close();
  } finally {
    await k.close();
  }
});

Deno.test("an execution token minted over HTTP reaches only its component's tools in its own app", async () => {
  let now = Date.now();
  const k = await startMcpKiln({ clock: { now: () => now } });
  try {
    await adminApi(k.url, "POST", "/v1/apps", {
      files: minimalApp("shop", { "component_registry.yaml": PERMITTED }),
    });
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("bank") });
    await k.kiln.state.runtime.setRuntimeValue("shop", "secret", "shop-only");
    await k.kiln.state.runtime.setRuntimeValue("bank", "secret", "bank-only");
    const minted = await adminApi(k.url, "POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 60,
    });
    const { client } = await connectV2(k.mcpUrl, minted.token);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      "core.filesystem.readFile",
      "core.state.getRuntimeValue",
    ]);
    const got = await client.callTool({
      name: "core.state.getRuntimeValue",
      arguments: { key: "secret" },
    });
    assert.deepEqual(got.structuredContent, { found: true, value: "shop-only" });
    const smuggled = await client.callTool({
      name: "core.state.getRuntimeValue",
      arguments: { key: "secret", appId: "bank" },
    });
    assert.equal(smuggled.isError, true, "the app comes from the token, never the arguments");
    for (const name of ["core.state.setRuntimeValue", "core.framework.getApplicationDetails"]) {
      const denied = await client.callTool({
        name,
        arguments: { key: "k", value: 1, appId: "bank" },
      });
      assert.equal(denied.isError, true);
      assert.match(JSON.stringify(denied.content), /FORBIDDEN/, name);
    }
    assert.equal(
      await k.kiln.state.runtime.getRuntimeValue("shop", "k").then((r) => r.found),
      false,
    );
    await client.close();

    now += 61_000;
    const expired = await rawCall(k.mcpUrl, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      Authorization: `Bearer ${minted.token}`,
      "MCP-Protocol-Version": "2025-11-25",
    });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get("WWW-Authenticate") ?? "", /resource_metadata=/);
  } finally {
    await k.close();
  }
});
