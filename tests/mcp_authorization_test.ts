/**
 * The authorization matrix over the wire: every tool `/mcp` offers × every kind of bearer token,
 * with real keys and execution tokens minted through the HTTP API. Zero unauthorized successes.
 */
import assert from "node:assert/strict";
import { ADMIN_TOKEN, minimalApp } from "./_support/kiln.ts";
import { adminApi, GET_USER_COMPONENTS as COMPONENTS, startMcpKiln } from "./_support/mcp.ts";
import { rawCall } from "./_support/mcp_clients.ts";
import { TOOL_ARGS } from "./_support/tool_args.ts";

const ADMIN_ONLY = ["core.framework.registerApplication", "core.framework.deregisterApplication"];

/** What a caller may do with `tool` in app `shop`, from the contract alone. */
type Rule = "unauthenticated" | ((tool: string) => boolean);

Deno.test("every tool × every kind of token over /mcp: zero unauthorized successes", async () => {
  let now = Date.now();
  const k = await startMcpKiln({ clock: { now: () => now } });
  try {
    for (const appId of ["shop", "bank"]) {
      await adminApi(k.url, "POST", "/v1/apps", {
        files: minimalApp(appId, { "component_registry.yaml": COMPONENTS }),
      });
    }
    const shopKey =
      (await adminApi(k.url, "POST", "/v1/apps/shop/keys", { permissions: ["*"] })).apiKey;
    const bankKey =
      (await adminApi(k.url, "POST", "/v1/apps/bank/keys", { permissions: ["*"] })).apiKey;
    const expiring = await adminApi(k.url, "POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 1,
    });
    const narrow = await adminApi(k.url, "POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 600,
    });
    now += 2_000;

    const listed = await rawCall(new URL(`${k.mcpUrl}?app=shop`), {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
    }, { "MCP-Protocol-Version": "2025-11-25" });
    const tools: string[] = listed.json.result.tools.map((t: { name: string }) => t.name);
    assert.ok(tools.includes("app.shop.getUser") && tools.includes("app.bank.getUser"));
    assert.ok(tools.length >= 24, `only ${tools.length} tools listed`);

    const isCoreForOwnApp = (tool: string, own: string) =>
      tool.startsWith("core.") && !ADMIN_ONLY.includes(tool) &&
      (TOOL_ARGS[tool]?.appId === undefined || TOOL_ARGS[tool].appId === own);
    const columns: [string, string | undefined, Rule][] = [
      ["no token", undefined, "unauthenticated"],
      ["bad token", "kiln_nope_0123456789abcdef0123456789abcdef", "unauthenticated"],
      ["expired execution token", expiring.token, "unauthenticated"],
      [
        "another app's key",
        bankKey,
        (tool) => isCoreForOwnApp(tool, "bank") || tool.startsWith("app.bank."),
      ],
      ["app key", shopKey, (tool) => isCoreForOwnApp(tool, "shop") || tool.startsWith("app.shop.")],
      [
        "execution token without that tool",
        narrow.token,
        (t) => t === "core.state.getRuntimeValue",
      ],
      ["admin", ADMIN_TOKEN, () => true],
    ];

    let unauthorizedSuccesses = 0;
    let calls = 0;
    for (const [who, token, rule] of columns) {
      const headers: Record<string, string> = { "MCP-Protocol-Version": "2025-11-25" };
      if (token) headers.Authorization = `Bearer ${token}`;
      else headers.Authorization = "";
      for (const tool of tools) {
        const args = tool.startsWith("app.") ? { id: "1" } : TOOL_ARGS[tool];
        assert.ok(args, `the matrix has arguments for ${tool}`);
        const url = new URL(`${k.mcpUrl}${token === ADMIN_TOKEN ? "?app=shop" : ""}`);
        const res = await rawCall(url, {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: tool, arguments: args },
        }, headers);
        calls++;
        const result = res.json?.result;
        const succeeded = res.status === 200 && result && !result.isError;
        const code = result?.isError ? JSON.parse(result.content[0].text).error.code : undefined;
        if (rule === "unauthenticated") {
          if (succeeded) unauthorizedSuccesses++;
          assert.equal(res.status, 401, `${who} → ${tool}`);
          assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer .*resource_metadata=/);
          continue;
        }
        assert.equal(res.status, 200, `${who} → ${tool}: ${JSON.stringify(res.json)}`);
        if (rule(tool)) {
          assert.notEqual(code, "FORBIDDEN", `${who} → ${tool} should be allowed`);
        } else {
          if (succeeded) unauthorizedSuccesses++;
          assert.equal(code, "FORBIDDEN", `${who} → ${tool}: ${JSON.stringify(result)}`);
        }
      }
      if (token === bankKey) {
        const shopCounter = await k.kiln.state.runtime.getRuntimeValue("shop", "n");
        const bankCounter = await k.kiln.state.runtime.getRuntimeValue("bank", "n");
        assert.deepEqual([shopCounter.found, bankCounter.found], [false, true]);
      }
    }
    assert.equal(unauthorizedSuccesses, 0);
    assert.equal(calls, tools.length * columns.length);
  } finally {
    await k.close();
  }
});
