import assert from "node:assert/strict";
import { authorize, type ToolGrant } from "./_authorize.ts";
import type { ToolCaller } from "./tool.ts";

const NOW = Date.UTC(2026, 0, 2);
const read: ToolGrant = {
  name: "core.state.getRuntimeValue",
  scope: "app",
  permission: "runtime:read",
};
const aliased: ToolGrant = {
  name: "core.state.getDefinitionFileContent",
  aliases: ["core.state.getFileContent"],
  scope: "app",
  permission: "definitions:read",
};
const admin: ToolGrant = {
  name: "core.framework.registerApplication",
  scope: "admin",
  permission: "admin",
};
const details: ToolGrant = {
  name: "core.framework.getApplicationDetails",
  scope: "registry-read",
  permission: "app:read",
};
const appTool: ToolGrant = {
  name: "app.bank.pay",
  scope: "app",
  permission: "invoke",
  appId: "bank",
};

const key = (permissions: string[], appId = "shop"): ToolCaller => ({
  kind: "app",
  appId,
  keyId: "k",
  permissions,
});
const exec = (tools: string[], expiresAt = NOW + 1000): ToolCaller => ({
  kind: "execution",
  appId: "shop",
  componentId: "c",
  tools,
  expiresAt,
});

Deno.test("authorize() takes the app from the caller, never from elsewhere", () => {
  assert.deepEqual(authorize(key(["*"]), read, NOW), { ok: true, appId: "shop" });
  assert.deepEqual(authorize({ kind: "admin", appId: "bank" }, read, NOW), {
    ok: true,
    appId: "bank",
  });
  const unbound = authorize({ kind: "admin" }, read, NOW);
  assert.equal(unbound.ok, false);
  assert.match((unbound as { message: string }).message, /\?app=<appId>/);
  assert.deepEqual(authorize({ kind: "admin" }, admin, NOW), { ok: true });
  assert.deepEqual(authorize({ kind: "admin" }, appTool, NOW), { ok: true, appId: "bank" });
});

Deno.test("authorize() holds app keys to their permissions and their app", () => {
  assert.equal(authorize(key(["runtime:*"]), read, NOW).ok, true);
  assert.equal(authorize(key(["runtime:write"]), read, NOW).ok, false);
  assert.equal(authorize(key(["*"]), admin, NOW).ok, false);
  assert.equal(authorize(key(["*"]), appTool, NOW).ok, false);
  assert.equal(authorize(key(["invoke"], "bank"), appTool, NOW).ok, true);
  assert.equal(authorize(key(["app:read"]), details, NOW, "shop").ok, true);
  assert.equal(authorize(key(["app:read"]), details, NOW, "bank").ok, false);
  assert.equal(authorize(key(["runtime:read"]), details, NOW, "shop").ok, false);
});

Deno.test("authorize() holds execution tokens to their tool list, app and expiry", () => {
  assert.equal(authorize(exec(["core.state.getRuntimeValue"]), read, NOW).ok, true);
  assert.equal(authorize(exec(["core.state.getFileContent"]), aliased, NOW).ok, true);
  assert.equal(authorize(exec(["core.state.setRuntimeValue"]), read, NOW).ok, false);
  assert.equal(authorize(exec(["core.framework.registerApplication"]), admin, NOW).ok, false);
  assert.equal(authorize(exec(["app.bank.pay"]), appTool, NOW).ok, false);
  assert.equal(authorize(exec([details.name]), details, NOW, "bank").ok, false);
  assert.equal(authorize(exec([details.name]), details, NOW, "shop").ok, true);
  const expired = authorize(exec(["core.state.getRuntimeValue"], NOW), read, NOW);
  assert.equal(expired.ok, false);
  assert.match((expired as { message: string }).message, /expired/);
});
