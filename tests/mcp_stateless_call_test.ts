/**
 * The stateless `tools/call` shortcut answers byte for byte what the SDK's stateless server and
 * transport answer: the same requests go to two endpoints over one real Kiln (its own tool
 * registry, store and tokens), one with the shortcut and one without, and status, headers and body
 * must be identical — successes, `isError` results, protocol errors, and every request the shortcut
 * hands to the SDK (progress tokens, batches, notifications, odd ids, missing `Accept`).
 */
import assert from "node:assert/strict";
import { Authenticator, setupAdminToken } from "../src/auth/mod.ts";
import { silentLogger } from "../src/core/mod.ts";
import { createMcpEndpoint } from "../src/mcp/mod.ts";
import { statelessCall } from "../src/mcp/_stateless_call.ts";
import { ADMIN_TOKEN, minimalApp } from "./_support/kiln.ts";
import { adminApi, GET_USER_COMPONENTS as COMPONENTS, startMcpKiln } from "./_support/mcp.ts";

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};

interface Case {
  what: string;
  body: unknown;
  /** Whether the shortcut answers it (otherwise the SDK does, in both endpoints). */
  short: boolean;
  token?: string;
  app?: string | null;
  headers?: Record<string, string | null>;
}

const call = (name: string, args?: unknown, id: unknown = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: args === undefined ? { name } : { name, arguments: args },
});

Deno.test("a stateless tools/call gets the same bytes with and without the shortcut", async () => {
  const k = await startMcpKiln();
  const admin = await setupAdminToken(k.kiln.store, ADMIN_TOKEN);
  const auth = new Authenticator(
    admin.verifier,
    (key) => k.kiln.registry.validateApiKey(key),
    k.kiln.executionTokens,
  );
  const endpoint = (statelessShortcut: boolean) =>
    createMcpEndpoint({
      catalog: k.kiln.tools,
      authenticate: (header) => auth.authenticate(header),
      logger: silentLogger,
      version: "test",
      statelessShortcut,
    });
  const short = endpoint(true);
  const sdk = endpoint(false);
  try {
    await adminApi(k.url, "POST", "/v1/apps", {
      files: minimalApp("shop", { "component_registry.yaml": COMPONENTS }),
    });
    await adminApi(k.url, "PUT", "/v1/apps/shop/runtime/hot", { value: { user: "ada", n: [1] } });
    const appKey =
      (await adminApi(k.url, "POST", "/v1/apps/shop/keys", { permissions: ["runtime:read"] }))
        .apiKey;
    const execution = (await adminApi(k.url, "POST", "/v1/apps/shop/execution-tokens", {
      componentId: "getUser",
      ttlSeconds: 600,
    })).token;
    let deep: unknown = "x";
    for (let i = 0; i < 200; i++) deep = [deep];

    const cases: Case[] = [
      {
        what: "a found value",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        short: true,
      },
      {
        what: "a missing value",
        body: call("core.state.getRuntimeValue", { key: "no" }),
        short: true,
      },
      {
        what: "a string id",
        body: call("core.state.getRuntimeValue", { key: "hot" }, "a-1"),
        short: true,
      },
      { what: "id 0", body: call("core.state.getRuntimeValue", { key: "hot" }, 0), short: true },
      {
        what: "a large id",
        body: call("core.state.getRuntimeValue", { key: "hot" }, 2 ** 53 - 1),
        short: true,
      },
      {
        what: "no arguments member",
        body: call("core.framework.listActiveApplications"),
        short: true,
      },
      {
        what: "invalid arguments",
        body: call("core.state.getRuntimeValue", { key: 5 }),
        short: true,
      },
      {
        what: "an unknown argument",
        body: call("core.state.getRuntimeValue", { key: "a", x: 1 }),
        short: true,
      },
      {
        what: "arguments too deep",
        body: call("core.state.getRuntimeValue", { key: deep }),
        short: true,
      },
      { what: "an unknown tool", body: call("core.nope", {}), short: true },
      {
        what: "a write",
        body: call("core.state.setRuntimeValue", { key: "w", value: 1 }),
        short: true,
      },
      {
        what: "no app selected",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        app: null,
        short: true,
      },
      {
        what: "an app that does not exist",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        app: "ghost",
        short: true,
      },
      {
        what: "an admin-only tool for an app key",
        body: call("core.framework.registerApplication", {}),
        token: appKey,
        app: null,
        short: true,
      },
      {
        what: "an app key without the permission",
        body: call("core.state.setRuntimeValue", { key: "w", value: 2 }),
        token: appKey,
        app: null,
        short: true,
      },
      {
        what: "an execution token's granted tool",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        token: execution,
        app: null,
        short: true,
      },
      {
        what: "an execution token's ungranted tool",
        body: call("core.state.setRuntimeValue", { key: "w", value: 3 }),
        token: execution,
        app: null,
        short: true,
      },
      {
        what: "no protocol version header",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        headers: { "mcp-protocol-version": null },
        short: true,
      },
      {
        what: "2025-06-18",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        headers: { "mcp-protocol-version": "2025-06-18" },
        short: true,
      },
      // Everything below is the SDK's in both endpoints; the answers must still agree.
      {
        // The SDK's copy of the arguments drops an own `__proto__`; the shortcut must not pass it.
        what: "arguments with an own __proto__ member",
        body: JSON.parse(
          '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":' +
            '"core.state.getRuntimeValue","arguments":{"__proto__":{"x":1},"key":"hot"}}}',
        ),
        short: false,
      },
      {
        what: "a progress token (notifications/progress)",
        body: {
          ...call("core.state.getRuntimeValue", { key: "hot" }),
          params: {
            name: "core.state.getRuntimeValue",
            arguments: { key: "hot" },
            _meta: { progressToken: 7 },
          },
        },
        short: false,
      },
      {
        what: "a batch",
        body: [call("core.state.getRuntimeValue", { key: "hot" }, 1), call("core.nope", {}, 2)],
        short: false,
      },
      {
        what: "a notification",
        body: { jsonrpc: "2.0", method: "notifications/initialized" },
        short: false,
      },
      { what: "tools/list", body: { jsonrpc: "2.0", id: 1, method: "tools/list" }, short: false },
      {
        what: "a fractional id",
        body: call("core.state.getRuntimeValue", { key: "hot" }, 1.5),
        short: false,
      },
      {
        what: "a null id",
        body: call("core.state.getRuntimeValue", { key: "hot" }, null),
        short: false,
      },
      {
        what: "arguments as an array",
        body: call("core.state.getRuntimeValue", ["hot"]),
        short: false,
      },
      { what: "a numeric tool name", body: { ...call("x"), params: { name: 5 } }, short: false },
      {
        what: "an extra params member",
        body: {
          ...call("x"),
          params: {
            name: "core.state.getRuntimeValue",
            arguments: { key: "hot" },
            task: { ttl: 1000 },
          },
        },
        short: false,
      },
      {
        what: "an extra top-level member",
        body: { ...call("core.state.getRuntimeValue", { key: "hot" }), extra: 1 },
        short: false,
      },
      {
        what: "jsonrpc 1.0",
        body: { ...call("core.state.getRuntimeValue", { key: "hot" }), jsonrpc: "1.0" },
        short: false,
      },
      {
        what: "no event-stream in Accept",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        headers: { accept: "application/json" },
        short: false,
      },
      {
        what: "an unsupported protocol version",
        body: call("core.state.getRuntimeValue", { key: "hot" }),
        headers: { "mcp-protocol-version": "2024-01-01" },
        short: false,
      },
    ];

    for (const c of cases) {
      const request = () => {
        const headers = new Headers({
          ...HEADERS,
          authorization: `Bearer ${c.token ?? ADMIN_TOKEN}`,
        });
        for (const [name, value] of Object.entries(c.headers ?? {})) {
          if (value === null) headers.delete(name);
          else headers.set(name, value);
        }
        const app = c.app === undefined ? "shop" : c.app;
        return new Request(`http://127.0.0.1/mcp${app ? `?app=${app}` : ""}`, {
          method: "POST",
          headers,
          body: JSON.stringify(c.body),
        });
      };
      const probe = request();
      assert.equal(
        statelessCall(probe, await probe.json()) !== null,
        c.short,
        `${c.what}: the shortcut ${c.short ? "should" : "should not"} take it`,
      );
      const [a, b] = [await short.handle(request()), await sdk.handle(request())];
      assert.equal(a.status, b.status, `${c.what}: status`);
      assert.deepEqual([...a.headers], [...b.headers], `${c.what}: headers`);
      const [textA, textB] = [await a.text(), await b.text()];
      assert.equal(textA, textB, `${c.what}: body`);
      if (c.short) assert.match(textA, /"jsonrpc":"2.0"/, `${c.what}: a JSON-RPC answer`);
    }
  } finally {
    await short.close();
    await sdk.close();
    await k.close();
  }
});
