import assert from "node:assert/strict";
import { minimalApp, startKiln } from "../../../tests/_support/kiln.ts";

const COMPONENTS = `components:
  - componentId: getUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    permissions: [core.state.getRuntimeValue, core.framework.getConfigValue]
`;

Deno.test("POST /v1/apps/{appId}/execution-tokens mints a token for the component's permissions", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", {
      files: minimalApp("shop", { "component_registry.yaml": COMPONENTS }),
    });
    const minted = await t.call("POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 60,
    });
    assert.equal(minted.status, 201);
    assert.deepEqual(minted.json.tools, [
      "core.state.getRuntimeValue",
      "core.framework.getConfigValue",
    ]);
    assert.match(minted.json.token, /^kiln_exec_/);
    assert.ok(Date.parse(minted.json.expiresAt) > Date.now());
    const payload = t.kiln.executionTokens.verify(minted.json.token);
    assert.equal(payload?.a, "shop");
    assert.equal(payload?.c, "getUser");

    const token: string = minted.json.token;
    const apps = await t.call("GET", "/v1/apps", undefined, token);
    assert.equal(apps.status, 200, "the token authenticates");
    assert.deepEqual(apps.json.apps.map((a: { appId: string }) => a.appId), ["shop"]);
    const runtime = await t.call("GET", "/v1/apps/shop/runtime/k", undefined, token);
    assert.equal(runtime.status, 403, "execution tokens grant MCP tools, not the HTTP API");
    const again = await t.call("POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
    }, token);
    assert.equal(again.status, 403);
    await t.restart();
    assert.ok(t.kiln.executionTokens.verify(token), "tokens survive a restart");
  } finally {
    await t.close();
  }
});

Deno.test("minting refuses unknown components, long lifetimes and non-admins", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const ghost = await t.call("POST", "/v1/apps/shop/execution-tokens", { componentId: "ghost" });
    assert.equal(ghost.status, 404);
    assert.equal(ghost.json.error.code, "COMPONENT_NOT_FOUND");
    const long = await t.call("POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 3601,
    });
    assert.equal(long.status, 400);
    const noApp = await t.call("POST", "/v1/apps/ghost/execution-tokens", { componentId: "x" });
    assert.equal(noApp.status, 404);
    const key = (await t.call("POST", "/v1/apps/shop/keys", {})).json.apiKey;
    const byKey = await t.call("POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
    }, key);
    assert.equal(byKey.status, 403);
    const minted = await t.call("POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
    });
    assert.deepEqual(minted.json.tools, []);
  } finally {
    await t.close();
  }
});
