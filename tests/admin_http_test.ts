/** The small admin routes the panel added: `GET /v1/sandboxes`, `GET /v1/tools`, `POST /v1/tools/call`. */
import assert from "node:assert/strict";
import { minimalApp, startKiln } from "./_support/kiln.ts";

Deno.test("GET /v1/sandboxes answers each tier's availability and counters, admin only", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const res = await t.call("GET", "/v1/sandboxes");
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const tiers = Object.fromEntries(
      res.json.tiers.map((x: { tier: string }) => [x.tier, x]),
    );
    assert.equal(tiers.isolate.available, true);
    assert.equal(typeof tiers.isolate.stats.live, "number");
    assert.equal(tiers.wasm.available, true);
    assert.equal(tiers.container.available, false);
    assert.match(tiers.container.reason, /not configured/);
    assert.deepEqual(res.json.pools, []);
    // Registration answered once the app's host was up, ready for its first request.
    const [ready] = res.json.isolateHosts;
    assert.equal(ready.alive, true, JSON.stringify(res.json.isolateHosts));
    assert.equal(ready.busy, 0);
    const hit = await t.raw(new Request("http://kiln.test/apps/shop/api/users/7"));
    assert.equal(hit.status, 200, await hit.text());
    const after = await t.call("GET", "/v1/sandboxes");
    const [host] = after.json.isolateHosts;
    assert.equal(host.alive, true);
    assert.equal(host.pid, ready.pid, "the first request ran on the host made ready for it");
    assert.ok(host.workers >= 1 && host.workers <= host.maxWorkers);
    const key = await t.call("POST", "/v1/apps/shop/keys", { permissions: ["*"] });
    const denied = await t.call("GET", "/v1/sandboxes", undefined, key.json.apiKey);
    assert.equal(denied.status, 403);
    assert.equal((await t.call("GET", "/v1/sandboxes", undefined, null)).status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("GET /v1/tools lists every tool with schemas; POST /v1/tools/call runs one as the admin", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const list = await t.call("GET", "/v1/tools");
    assert.equal(list.status, 200);
    const names = list.json.tools.map((x: { name: string }) => x.name);
    assert.ok(names.includes("core.state.getDefinitionFileContent"));
    assert.ok(names.includes("app.shop.getUser"), names.join(", "));
    const tool = list.json.tools.find((x: { name: string }) =>
      x.name === "core.state.getDefinitionFileContent"
    );
    assert.equal(tool.inputSchema.type, "object");

    const call = await t.call("POST", "/v1/tools/call", {
      name: "core.state.getDefinitionFileContent",
      arguments: { filePath: "app_definition.yaml" },
      appId: "shop",
    });
    assert.equal(call.status, 200, JSON.stringify(call.json));
    assert.equal(call.json.isError, undefined);
    assert.match(call.json.structuredContent.content, /appId: shop/);
    assert.equal(typeof call.json.durationMs, "number");

    const bad = await t.call("POST", "/v1/tools/call", {
      name: "core.state.getDefinitionFileContent",
      arguments: {},
      appId: "shop",
    });
    assert.equal(bad.json.isError, true, "business errors are isError results");

    const key = await t.call("POST", "/v1/apps/shop/keys", { permissions: ["*"] });
    assert.equal((await t.call("GET", "/v1/tools", undefined, key.json.apiKey)).status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("the admin routes are in the OpenAPI document", async () => {
  const t = await startKiln();
  try {
    const doc = await t.call("GET", "/openapi.json", undefined, null);
    assert.equal(doc.status, 200);
    for (const path of ["/v1/sandboxes", "/v1/tools", "/v1/tools/call"]) {
      assert.ok(doc.json.paths[path], `${path} documented`);
    }
    assert.ok(doc.json.components.schemas.Sandboxes);
  } finally {
    await t.close();
  }
});

Deno.test("GET /v1/apps/{appId}/workflows/{workflowId} answers the definition as JSON", async () => {
  const t = await startKiln();
  try {
    const files = minimalApp("flows", {
      "workflows/hello.yaml": `workflowId: hello
startAt: done
steps:
  done: { type: control, target: { subtype: succeed }, inputMapping: { who: trigger.body.who } }
`,
    });
    assert.equal((await t.call("POST", "/v1/apps", { files })).status, 201);
    const res = await t.call("GET", "/v1/apps/flows/workflows/hello");
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.definition.steps.done.inputMapping.who, "trigger.body.who");
    assert.equal(typeof res.json.revision, "string");
    const missing = await t.call("GET", "/v1/apps/flows/workflows/nope");
    assert.equal(missing.status, 404);
  } finally {
    await t.close();
  }
});
