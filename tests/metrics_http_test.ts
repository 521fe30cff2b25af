/**
 * Metrics end to end: a real Kiln on a socket serves a component a few times, then
 * `GET /metrics` (Prometheus), `/v1/metrics/query` (admin and app keys) and the `core.metrics.*`
 * tools through the official MCP SDK client answer from the same collector.
 */
import assert from "node:assert/strict";
import { ADMIN_TOKEN, minimalApp } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import { connectV1 } from "./_support/mcp_clients.ts";

async function get(url: string, token?: string) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, type, text, json: type.includes("json") ? JSON.parse(text) : null };
}

/** The value of one Prometheus sample line, by its exact name and label text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("invocations show up in /metrics and /v1/metrics/query; app keys see only their own app", async () => {
  const k = await startMcpKiln();
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("shop") });
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("bank") });
    const mint = (appId: string, permissions: string[]) =>
      adminApi(k.url, "POST", `/v1/apps/${appId}/keys`, { permissions }).then((r) => r.apiKey);
    const shopKey = await mint("shop", ["metrics:read", "metrics:write"]);
    const blindKey = await mint("shop", ["runtime:read"]);
    const from = Date.now() - 1;

    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${k.url}/apps/shop/api/users/${i}`);
      assert.equal(res.status, 200, await res.text());
    }

    assert.equal((await get(`${k.url}/metrics`)).status, 401);
    assert.equal((await get(`${k.url}/metrics`, shopKey)).status, 403);
    const prom = await get(`${k.url}/metrics`, ADMIN_TOKEN);
    assert.equal(prom.status, 200);
    assert.match(prom.type, /^text\/plain; version=0\.0\.4/);
    const labels =
      'app_id="shop",component_id="getUser",handler_type="jit",outcome="ok",tier="isolate"';
    assert.equal(sample(prom.text, `kiln_invocations_total{${labels}}`), 3, prom.text);
    assert.equal(sample(prom.text, `kiln_invocation_duration_seconds_count{${labels}}`), 3);
    assert.equal(
      sample(prom.text, `kiln_invocation_duration_seconds_bucket{${labels},le="+Inf"}`),
      3,
    );
    assert.match(prom.text, /^# TYPE kiln_invocation_duration_seconds histogram$/m);
    assert.match(
      prom.text,
      /^kiln_sandbox_executions_total\{app_id="shop",outcome="ok",tier="isolate"\} 3$/m,
    );

    const q = (params: string, token = ADMIN_TOKEN) =>
      get(`${k.url}/v1/metrics/query?${params}`, token);
    const byComponent = await q(
      `name=kiln.invocation.duration_ms&appId=shop&groupBy=componentId&from=${from}&to=${
        Date.now() + 1
      }`,
    );
    assert.equal(byComponent.status, 200, byComponent.text);
    assert.equal(byComponent.json.kind, "histogram");
    assert.deepEqual(byComponent.json.series.map((s: { labels: unknown }) => s.labels), [
      { componentId: "getUser" },
    ]);
    // deno-lint-ignore no-explicit-any -- JSON answer
    const points = byComponent.json.series[0].points as any[];
    assert.equal(points.reduce((n, p) => n + p.count, 0), 3);
    assert.ok(points.some((p) => p.count > 0 && typeof p.p50 === "number" && p.p50 > 0));

    const own = await q("name=kiln.invocations&appId=shop", shopKey);
    assert.equal(own.status, 200, own.text);
    assert.equal(
      own.json.series[0].points.reduce((n: number, p: { sum: number }) => n + p.sum, 0),
      3,
    );
    const other = await q("name=kiln.invocations&appId=bank", shopKey);
    assert.equal(other.status, 403);
    assert.equal(other.json.error.code, "FORBIDDEN");
    assert.equal(
      (await q("name=kiln.invocations", shopKey)).status,
      400,
      "app keys name their app",
    );
    assert.equal((await q("name=kiln.invocations&appId=shop", blindKey)).status, 403);
    assert.equal((await get(`${k.url}/v1/metrics`, blindKey)).status, 403);

    const missing = await q("name=kiln.nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "METRIC_NOT_FOUND");
    assert.equal((await q("name=kiln.invocations&from=2000&to=1000")).status, 400);
    assert.equal((await q("name=kiln.invocations&stepMs=1000")).status, 400);
    assert.equal((await q("name=kiln.invocations&groupBy=colour")).status, 400);

    const doc = await get(`${k.url}/openapi.json`);
    for (const path of ["/metrics", "/v1/metrics", "/v1/metrics/query"]) {
      assert.ok(doc.json.paths[path], `documents ${path}`);
    }
    const params = doc.json.paths["/v1/metrics/query"].get.parameters.map((p: { name: string }) =>
      p.name
    );
    assert.ok(params.includes("groupBy") && params.includes("tier"), params.join());

    const catalogue = await get(`${k.url}/v1/metrics`, shopKey);
    assert.equal(catalogue.status, 200);
    assert.ok(
      catalogue.json.metrics.some((m: { name: string; kind: string }) =>
        m.name === "kiln.invocations" && m.kind === "sum"
      ),
    );
  } finally {
    await k.close();
  }
});

Deno.test("core.metrics.record and core.metrics.query work through the MCP SDK client, scoped to the caller's app", async () => {
  const k = await startMcpKiln();
  try {
    await adminApi(k.url, "POST", "/v1/apps", { files: minimalApp("shop") });
    const { apiKey } = await adminApi(k.url, "POST", "/v1/apps/shop/keys", {
      permissions: ["metrics:read", "metrics:write"],
    });
    const { client } = await connectV1(k.mcpUrl, apiKey);
    try {
      // deno-lint-ignore no-explicit-any -- tests index freely into tool answers
      const call = async (name: string, args: Record<string, unknown> = {}): Promise<any> => {
        const result = await client.callTool({ name, arguments: args });
        assert.ok(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
        return result.structuredContent;
      };
      const fail = async (name: string, args: Record<string, unknown>) => {
        const result = await client.callTool({ name, arguments: args });
        assert.equal(result.isError, true, `${name} should fail`);
        return JSON.stringify(result.content);
      };
      for (const value of [2, 5]) {
        assert.deepEqual(
          await call("core.metrics.record", {
            name: "app.orders.placed",
            kind: "sum",
            value,
            labels: { appId: "bank", outcome: "ok" },
          }),
          { recorded: true },
        );
      }
      await call("core.metrics.record", { name: "app.basket.ms", kind: "histogram", value: 12 });

      const placed = await call("core.metrics.query", { name: "app.orders.placed" });
      assert.equal(placed.kind, "sum");
      assert.deepEqual(placed.series.map((s: { labels: unknown }) => s.labels), [
        { appId: "shop", outcome: "ok" },
      ], "appId is forced to the caller's app");
      const sum = placed.series[0].points.reduce((n: number, p: { sum: number }) => n + p.sum, 0);
      assert.equal(sum, 7);
      const basket = await call("core.metrics.query", { name: "app.basket.ms", groupBy: [] });
      const hit = basket.series[0].points.find((p: { count: number }) => p.count > 0);
      assert.equal(hit.p50, 12);

      const listed = await call("core.metrics.list");
      assert.ok(listed.metrics.some((m: { name: string }) => m.name === "app.orders.placed"));
      assert.ok(listed.metrics.some((m: { name: string }) => m.name === "kiln.mcp.calls"));

      assert.match(
        await fail("core.metrics.record", { name: "kiln.invocations", kind: "sum", value: 1 }),
        /VALIDATION_ERROR/,
      );
      assert.match(
        await fail("core.metrics.record", { name: "app.orders.placed", kind: "gauge", value: 1 }),
        /is a sum/,
      );
      assert.match(
        await fail("core.metrics.record", { name: "app.x", kind: "sum", value: -1 }),
        /VALIDATION_ERROR/,
      );
      const many = Object.fromEntries(
        ["componentId", "handlerType", "kind", "model", "outcome", "poolName", "tier"].map((
          l,
        ) => [l, "v"]),
      );
      assert.match(
        await fail("core.metrics.record", { name: "app.x", kind: "sum", value: 1, labels: many }),
        /at most 6 labels/,
      );
      assert.match(
        await fail("core.metrics.record", {
          name: "app.x",
          kind: "sum",
          value: 1,
          labels: { tier: "x".repeat(101) },
        }),
        /VALIDATION_ERROR/,
      );
      assert.match(await fail("core.metrics.query", { name: "kiln.nope" }), /METRIC_NOT_FOUND/);
    } finally {
      await client.close();
    }
    const prom = await get(`${k.url}/metrics`, ADMIN_TOKEN);
    assert.match(prom.text, /^app_orders_placed_total\{app_id="shop",outcome="ok"\} 7$/m);
    assert.match(
      prom.text,
      /^kiln_mcp_calls_total\{app_id="shop",outcome="ok",tool="core.metrics.record"\} 3$/m,
    );
  } finally {
    await k.close();
  }
});
