import assert from "node:assert/strict";
import { Logger } from "../src/core/mod.ts";
import { startIngress } from "./_support/ingress.ts";
import { minimalApp } from "./_support/kiln.ts";

/** An app whose components exercise every part of the ingress path. */
const SHOP = {
  "component_registry.yaml": `components:
  - componentId: hello
    handlerType: jit
    runtime: auto
    trust: trusted
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello/:name, methods: [GET, POST] }
    configurationOverrides: { greeting: hi }
  - componentId: echo
    handlerType: jit
    taskDetails: { script: code/echo.js, function: echo, language: javascript }
    expectedResultFormat: httpResponse
    routeMatcher: { pathPattern: /echo, methods: [POST] }
  - componentId: visits
    handlerType: jit
    trust: trusted
    taskDetails: { script: code/visits.ts, function: visits, language: typescript }
    routeMatcher: { pathPattern: /visits, methods: [GET] }
    permissions: [core.state.incrementRuntimeValue]
  - componentId: fail
    handlerType: jit
    trust: trusted
    taskDetails: { script: code/fail.ts, function: fail, language: typescript }
    routeMatcher: { pathPattern: /fail/:how, methods: [GET] }
`,
  "code/hello.ts": `import { greet } from "./lib/greet.ts";
interface Req { httpDetails: { pathParameters: { name: string }; queryParameters: unknown;
  headers: Record<string, string>; body: string | null; bodyEncoding: string; path: string;
  routePattern: string; method: string } }
export function hello(req: Req, ctx: { configuration: { greeting: string };
  applicationInfo: { revision: string; version: string }; mcp_endpoint: string }) {
  const h = req.httpDetails;
  return { message: greet(ctx.configuration.greeting, h.pathParameters.name), query: h.queryParameters,
    headers: h.headers, body: h.body, bodyEncoding: h.bodyEncoding, path: h.path,
    routePattern: h.routePattern, method: h.method, revision: ctx.applicationInfo.revision,
    version: ctx.applicationInfo.version, mcp: ctx.mcp_endpoint };
}
`,
  "code/lib/greet.ts": "export const greet = (g: string, n: string): string => `${g}, ${n}`;\n",
  "code/echo.js": `export function echo(req) {
  const h = req.httpDetails;
  return { statusCode: 201, headers: { "content-type": h.headers["content-type"], "x-echo": "1",
    "x-kiln-tier": "spoofed" }, body: h.body, bodyEncoding: h.bodyEncoding };
}
`,
  "code/visits.ts": `import { mcp, log } from "kiln:sdk";
export async function visits() {
  const { value } = await mcp.call("core.state.incrementRuntimeValue", { key: "visits" }) as
    { value: number };
  let denied = "";
  try { await mcp.call("core.state.setRuntimeValue", { key: "x", value: 1 }); }
  catch (err) { denied = (err as { code: string }).code; }
  log.info("counted", { value });
  return { visits: value, denied };
}
`,
  "code/fail.ts": `export function fail(req: { httpDetails: { pathParameters: { how: string } } }) {
  const how = req.httpDetails.pathParameters.how;
  if (how === "plain") throw new Error("it broke");
  if (how === "notfound") throw Object.assign(new Error("no such thing"), { code: "NOT_FOUND" });
  if (how === "custom") throw Object.assign(new Error("out of stock"), { code: "OUT_OF_STOCK" });
  return { how };
}
`,
};

async function body(res: Response) {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

Deno.test("ingress runs a jit component and hands it requestData and context per contract §5", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("shop", SHOP) });
    let claims: ReturnType<typeof k.t.kiln.executionTokens.verify> = null;
    k.tiers.isolate.onExecute = (job) => {
      claims = k.t.kiln.executionTokens.verify(job.request.context.mcp_token);
    };
    const res = await k.fetch("/apps/shop/hello/Ada?x=1&x=2&y=3", {
      headers: {
        authorization: "Bearer secret",
        cookie: "a=b",
        "x-custom": "yes",
        "x-request-id": "req-1",
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-kiln-tier"), "isolate");
    assert.equal(res.headers.get("x-kiln-tier-reason"), "auto: trust trusted -> isolate");
    assert.equal(res.headers.get("x-request-id"), "req-1");
    const json = await body(res);
    assert.equal(json.message, "hi, Ada", "component configuration overrides the app's");
    assert.deepEqual(json.query, { x: ["1", "2"], y: "3" });
    assert.equal(json.headers["x-custom"], "yes");
    assert.equal(json.headers.authorization, undefined, "credentials never reach the component");
    assert.equal(json.headers.cookie, undefined);
    assert.deepEqual([json.path, json.routePattern, json.method], [
      "/hello/Ada",
      "/hello/:name",
      "GET",
    ]);
    assert.equal(json.body, null);
    assert.equal(json.revision, k.t.kiln.registry.getApplicationStatus("shop").revision);
    assert.equal(json.version, "1.0.0");
    assert.equal(json.mcp, "http://kiln.test/mcp");

    const job = k.tiers.isolate.jobs.at(-1)!;
    const ctx = job.request.context;
    assert.equal(ctx.componentId, "hello");
    assert.deepEqual(ctx.configuration, { greeting: "hi", llm: { model: "small" } });
    k.tiers.isolate.onExecute = undefined;
    assert.ok(claims, "the token is live while the execution runs");
    const { a, c, t, e } = claims as NonNullable<typeof claims>;
    assert.deepEqual([a, c, t], ["shop", "hello", []]);
    const seen = k.t.kiln.executionTokens.inspect(ctx.mcp_token);
    assert.equal(seen?.revoked, true, "the token ended with its execution");
    assert.equal(k.t.kiln.executionTokens.verify(ctx.mcp_token), null);
    const ttl = e - Date.parse(ctx.deadline);
    assert.ok(ttl > 25_000 && ttl <= 31_000, `token outlives the deadline by ~30 s, got ${ttl}`);
    assert.equal(job.request.requestId, "req-1");
    assert.deepEqual(job.limits, { timeoutMs: 10_000, memoryMb: 128, maxOutputBytes: 4 << 20 });

    const utf8 = await body(
      await k.fetch("/apps/shop/hello/Bo", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a":"é"}',
      }),
    );
    assert.deepEqual([utf8.body, utf8.bodyEncoding], ['{"a":"é"}', "utf8"]);
    const binary = await body(
      await k.fetch("/apps/shop/hello/Bo", {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: new Uint8Array([0, 255, 1]),
      }),
    );
    assert.deepEqual([binary.body, binary.bodyEncoding], ["AP8B", "base64"]);
  } finally {
    await k.close();
  }
});

Deno.test("ingress proxies httpResponse results and runs low-trust code on the wasm tier", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("shop", SHOP) });
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const res = await k.fetch("/apps/shop/echo", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: bytes,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("x-echo"), "1");
    assert.equal(res.headers.get("x-kiln-tier"), "wasm", "Kiln's header wins over the guest's");
    assert.equal(res.headers.get("x-kiln-tier-reason"), "auto: trust low -> wasm");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
    assert.equal(k.tiers.wasm.jobs.at(-1)?.code.kind, "javascript");
    assert.equal((k.tiers.wasm.jobs.at(-1)?.code as { format: string }).format, "iife");
  } finally {
    await k.close();
  }
});

Deno.test("guest code reaches MCP tools only through its token's permissions", async () => {
  const lines: Record<string, unknown>[] = [];
  const k = await startIngress({ logger: new Logger({}, "debug", (r) => lines.push(r)) });
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("shop", SHOP) });
    for (const expected of [1, 2]) {
      const res = await k.fetch("/apps/shop/visits");
      assert.equal(res.status, 200);
      assert.deepEqual(await body(res), { visits: expected, denied: "FORBIDDEN" });
    }
    const stored = await k.t.kiln.state.runtime.getRuntimeValue("shop", "visits");
    assert.deepEqual(stored, { found: true, value: 2 });
    const guest = lines.findLast((l) => l.msg === "counted")!;
    assert.deepEqual(
      [guest.appId, guest.componentId, guest.source, guest.fields],
      ["shop", "visits", "sdk", { value: 2 }],
    );
    const inv = lines.filter((l) => l.msg === "invocation" && l.componentId === "visits");
    assert.equal(inv.length, 2);
    assert.deepEqual(
      [inv[0].tier, inv[0].outcome, inv[0].status, typeof inv[0].durationMs],
      ["isolate", "ok", 200, "number"],
    );
    const stat = k.router.stats().find((s) => s.componentId === "visits")!;
    assert.deepEqual([stat.tier, stat.outcome, stat.count], ["isolate", "ok", 2]);
    assert.ok(stat.totalMs > 0);
  } finally {
    await k.close();
  }
});

Deno.test("application errors answer the status of their code, in the error envelope", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("shop", SHOP) });
    const cases: [string, number, string, string][] = [
      ["plain", 500, "APPLICATION_ERROR", "it broke"],
      ["notfound", 404, "NOT_FOUND", "no such thing"],
      ["custom", 500, "OUT_OF_STOCK", "out of stock"],
    ];
    for (const [how, status, code, message] of cases) {
      const res = await k.fetch(`/apps/shop/fail/${how}`);
      assert.equal(res.status, status, how);
      assert.deepEqual(await body(res), { error: { code, message } });
      assert.equal(res.headers.get("x-kiln-tier"), "isolate");
    }
    const ok = await k.fetch("/apps/shop/fail/not");
    assert.deepEqual([ok.status, await body(ok)], [200, { how: "not" }]);
    const outcomes = k.router.stats().filter((s) => s.componentId === "fail")
      .map((s) => `${s.outcome}:${s.count}`).sort();
    assert.deepEqual(outcomes, ["app_error:3", "ok:1"]);
  } finally {
    await k.close();
  }
});

Deno.test("ingress answers clear errors for unknown apps, routes, methods and big bodies", async () => {
  const k = await startIngress();
  try {
    await k.t.kiln.registry.registerApplication({ files: minimalApp("shop", SHOP) });
    const expect = async (res: Response, status: number, code: string) => {
      const json = await body(res);
      assert.equal(res.status, status, JSON.stringify(json));
      assert.equal(json.error.code, code);
      return { json, res };
    };
    await expect(await k.fetch("/apps/nope/hello/x"), 404, "APP_NOT_FOUND");
    const route = await expect(await k.fetch("/apps/shop/nowhere"), 404, "COMPONENT_NOT_FOUND");
    assert.match(route.json.error.message, /no component of app "shop" serves "GET" "\/nowhere"/);
    await expect(await k.fetch("/apps/shop"), 404, "COMPONENT_NOT_FOUND");
    const method = await expect(
      await k.fetch("/apps/shop/echo", { method: "DELETE" }),
      405,
      "METHOD_NOT_ALLOWED",
    );
    assert.equal(method.res.headers.get("allow"), "POST");
    const head = await k.fetch("/apps/shop/hello/x", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    await expect(
      await k.fetch("/apps/shop/echo", { method: "POST", body: new Uint8Array((1 << 20) + 1) }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    await k.t.kiln.registry.setActive("shop", false);
    const inactive = await expect(await k.fetch("/apps/shop/hello/x"), 503, "UNAVAILABLE");
    assert.match(inactive.json.error.message, /"shop" is INACTIVE/);
  } finally {
    await k.close();
  }
});
