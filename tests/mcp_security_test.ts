import assert from "node:assert/strict";
import { ADMIN_TOKEN, minimalApp } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import { connectV1, rawCall } from "./_support/mcp_clients.ts";

const LIST = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const INIT = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

/** An app key for `appId` holding `permissions`. */
async function appKey(url: string, appId: string, permissions: string[]): Promise<string> {
  return (await adminApi(url, "POST", `/v1/apps/${appId}/keys`, { description: "t", permissions }))
    .apiKey;
}

/** Sends one HTTP/1.1 request with a Host header of our choosing; returns the status. */
async function statusWithHost(url: URL, host: string, origin?: string): Promise<number> {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const body = JSON.stringify(LIST);
  const head = [
    `POST /mcp HTTP/1.1`,
    `Host: ${host}`,
    ...(origin ? [`Origin: ${origin}`] : []),
    `Authorization: Bearer ${ADMIN_TOKEN}`,
    `Content-Type: application/json`,
    `Accept: application/json, text/event-stream`,
    `Content-Length: ${body.length}`,
    `Connection: close`,
  ];
  await conn.write(new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n${body}`));
  let text = "";
  const buf = new Uint8Array(4096);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

Deno.test("no or a bad token answers 401 pointing at protected-resource metadata", async () => {
  const k = await startMcpKiln();
  try {
    const none = await rawCall(k.mcpUrl, LIST, { Authorization: "" });
    assert.equal(none.status, 401);
    assert.equal(none.json.error.data.code, "UNAUTHORIZED");
    assert.equal(none.json.jsonrpc, "2.0");
    const metadataUrl = `${k.url}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(
      none.headers.get("www-authenticate"),
      `Bearer resource_metadata="${metadataUrl}"`,
    );
    const bad = await rawCall(k.mcpUrl, LIST, { Authorization: "Bearer kiln_nope" });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get("www-authenticate")!, /error="invalid_token"/);

    for (
      const path of [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
      ]
    ) {
      const res = await fetch(`${k.url}${path}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        resource: `${k.url}/mcp`,
        bearer_methods_supported: ["header"],
        resource_name: "Kiln MCP",
      });
    }
  } finally {
    await k.close();
  }
});

Deno.test("foreign Origins and Hosts are refused with 403 (DNS rebinding)", async () => {
  const k = await startMcpKiln({ allowedOrigins: ["https://inspector.example"] });
  try {
    const evil = await rawCall(k.mcpUrl, LIST, { Origin: "http://evil.example.com" });
    assert.equal(evil.status, 403);
    assert.equal(evil.json.error.data.code, "FORBIDDEN");
    assert.equal((await rawCall(k.mcpUrl, LIST, { Origin: "null" })).status, 403);
    for (const origin of ["http://localhost:6274", "https://inspector.example", k.url]) {
      const ok = await rawCall(k.mcpUrl, LIST, { Origin: origin });
      assert.equal(ok.status, 200, origin);
      assert.equal(ok.headers.get("access-control-allow-origin"), origin);
      assert.match(ok.headers.get("access-control-expose-headers")!, /Mcp-Session-Id/);
    }
    assert.equal(await statusWithHost(k.mcpUrl, "evil.example.com"), 403);
    assert.equal(await statusWithHost(k.mcpUrl, `localhost:${k.mcpUrl.port}`), 200);
    assert.equal(
      await statusWithHost(k.mcpUrl, `localhost:${k.mcpUrl.port}`, "http://evil.example.com"),
      403,
    );
  } finally {
    await k.close();
  }
});

Deno.test("CORS preflight is answered for allowed origins and exposes the session header", async () => {
  const k = await startMcpKiln();
  try {
    const res = await fetch(k.mcpUrl, {
      method: "OPTIONS",
      headers: {
        "Origin": "http://localhost:6274",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-session-id",
      },
    });
    await res.body?.cancel();
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://localhost:6274");
    assert.match(res.headers.get("access-control-allow-methods")!, /POST/);
    assert.match(res.headers.get("access-control-allow-headers")!, /mcp-session-id/);
    assert.match(res.headers.get("access-control-expose-headers")!, /Mcp-Session-Id/);
    const refused = await fetch(k.mcpUrl, {
      method: "OPTIONS",
      headers: { "Origin": "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    await refused.body?.cancel();
    assert.equal(refused.status, 403);
  } finally {
    await k.close();
  }
});

Deno.test("a session refuses every caller but the one that opened it", async () => {
  const k = await startMcpKiln();
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("shop") });
    const key = await appKey(k.url, "shop", ["runtime:*"]);
    const { client, transport } = await connectV1(k.mcpUrl);
    const session = {
      "Mcp-Session-Id": transport.sessionId!,
      "Mcp-Protocol-Version": "2025-11-25",
    };
    const hijack = await rawCall(k.mcpUrl, LIST, { ...session, Authorization: `Bearer ${key}` });
    assert.equal(hijack.status, 403);
    assert.equal(hijack.json.error.data.code, "FORBIDDEN");
    const asAdminOfShop = await rawCall(new URL(`${k.mcpUrl}?app=shop`), LIST, session);
    assert.equal(asAdminOfShop.status, 403, "another app selection is another caller");
    assert.equal((await rawCall(k.mcpUrl, LIST, session)).status, 200);
    const unknown = await rawCall(k.mcpUrl, LIST, { ...session, "Mcp-Session-Id": "nope" });
    assert.equal(unknown.status, 404);
    assert.ok((await client.listTools()).tools.length > 0);
    await client.close();
  } finally {
    await k.close();
  }
});

Deno.test("app keys act only on their own app and get FORBIDDEN results for tools not granted", async () => {
  const k = await startMcpKiln();
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("shop") });
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("bank") });
    await k.kiln.state.runtime.setRuntimeValue("bank", "secret", "gold");
    const key = await appKey(k.url, "shop", ["runtime:read"]);
    const auth = { Authorization: `Bearer ${key}` };

    const picked = await rawCall(new URL(`${k.mcpUrl}?app=bank`), LIST, auth);
    assert.equal(picked.status, 403);
    const { client } = await connectV1(k.mcpUrl, key);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names, ["core.state.getRuntimeValue"]);
    const secret = await client.callTool({
      name: "core.state.getRuntimeValue",
      arguments: { key: "secret" },
    });
    assert.deepEqual(secret.structuredContent, { found: false }, "shop cannot see bank's value");
    for (const name of ["core.state.setRuntimeValue", "core.framework.listActiveApplications"]) {
      const denied = await client.callTool({ name, arguments: { key: "k", value: 1 } });
      assert.equal(denied.isError, true, name);
      assert.match(JSON.stringify(denied.content), /FORBIDDEN/);
    }
    assert.equal((await k.kiln.state.runtime.getRuntimeValue("shop", "k")).found, false);
    await client.close();
  } finally {
    await k.close();
  }
});

Deno.test("idle sessions expire by the injected clock unless they are listening", async () => {
  let now = 1_000_000;
  const k = await startMcpKiln({ clock: { now: () => now }, sessionTtlMs: 60_000 });
  try {
    const opened = await rawCall(k.mcpUrl, INIT);
    const id = opened.headers.get("mcp-session-id")!;
    assert.ok(id);
    const session = { "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-11-25" };
    const listener = await connectV1(k.mcpUrl);
    await listener.watch.opened;
    assert.equal(k.endpoint.sessionCount, 2);

    now += 59_000;
    assert.equal((await rawCall(k.mcpUrl, LIST, session)).status, 200);
    now += 59_000;
    assert.equal((await rawCall(k.mcpUrl, LIST, session)).status, 200, "use keeps it alive");
    now += 60_001;
    assert.equal((await rawCall(k.mcpUrl, LIST, session)).status, 404);
    assert.equal(k.endpoint.sessionCount, 1);
    assert.ok((await listener.client.listTools()).tools.length > 0, "the listener survives");
    await listener.client.close();
  } finally {
    await k.close();
  }
});

Deno.test("malformed requests are refused before any tool runs", async () => {
  const k = await startMcpKiln();
  try {
    const text = await fetch(k.mcpUrl, {
      method: "POST",
      headers: { "Content-Type": "text/plain", "Authorization": `Bearer ${ADMIN_TOKEN}` },
      body: "hi",
    });
    await text.body?.cancel();
    assert.equal(text.status, 415);
    const broken = await fetch(k.mcpUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": `Bearer ${ADMIN_TOKEN}` },
      body: "{",
    });
    assert.equal(broken.status, 400);
    assert.equal((await broken.json()).error.code, -32700);
    const big = await rawCall(k.mcpUrl, { ...LIST, params: { pad: "x".repeat(5 << 20) } });
    assert.equal(big.status, 413);
    const get = await fetch(k.mcpUrl, { headers: { "Authorization": `Bearer ${ADMIN_TOKEN}` } });
    await get.body?.cancel();
    assert.equal(get.status, 405);
  } finally {
    await k.close();
  }
});

Deno.test("bad params of spec methods are invalid params (-32602) with one readable line", async () => {
  const k = await startMcpKiln();
  try {
    for (
      const [method, params, field] of [
        ["logging/setLevel", { level: "loud" }, /params\.level|level/],
        ["tools/list", { cursor: 42 }, /cursor/],
      ] as const
    ) {
      const res = await rawCall(k.mcpUrl, { jsonrpc: "2.0", id: 7, method, params });
      assert.equal(res.status, 200);
      assert.equal(res.json.error?.code, -32602, JSON.stringify(res.json));
      assert.match(res.json.error.message, new RegExp(`^invalid params for ${method}: `));
      assert.match(res.json.error.message, field);
      assert.ok(!res.json.error.message.includes("\n"), "one line, not zod's dump");
    }
  } finally {
    await k.close();
  }
});

Deno.test("closing the endpoint ends its sessions and refuses later requests", async () => {
  const k = await startMcpKiln();
  try {
    const { client, watch } = await connectV1(k.mcpUrl);
    await watch.opened;
    assert.equal(k.endpoint.sessionCount, 1);
    await k.endpoint.close();
    assert.equal(k.endpoint.sessionCount, 0);
    const after = await rawCall(k.mcpUrl, LIST);
    assert.equal(after.status, 503);
    await client.close();
  } finally {
    await k.close();
  }
});
