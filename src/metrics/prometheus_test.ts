import assert from "node:assert/strict";
import { escapeLabelValue, promName } from "./_prometheus.ts";
import { MetricCollector } from "./collector.ts";
import { MIN, testCollector } from "./_test_support.ts";

Deno.test("prometheus renders cumulative counters, gauges and histograms with HELP and TYPE", () => {
  using t = testCollector();
  const { m, clock } = t;
  m.add("kiln.invocations", 1, { appId: "a", outcome: "ok" });
  m.flush();
  clock.advance(5 * MIN);
  m.add("kiln.invocations", 2, { appId: "a", outcome: "ok" });
  m.gauge("kiln.sandbox.instances", 4, { tier: "wasm" });
  m.observe("kiln.mcp.call.duration_ms", 0.07, { tool: "t" });
  m.observe("kiln.mcp.call.duration_ms", 3, { tool: "t" });
  const text = m.prometheus();
  const lines = text.trimEnd().split("\n");
  assert.ok(text.endsWith("\n"));
  assert.ok(lines.includes("# TYPE kiln_invocations_total counter"));
  assert.ok(lines.some((l) => l.startsWith("# HELP kiln_invocations_total Component invocations")));
  assert.ok(lines.includes('kiln_invocations_total{appId="a",outcome="ok"} 3'), "since start");
  assert.ok(lines.includes("# TYPE kiln_sandbox_instances gauge"));
  assert.ok(lines.includes('kiln_sandbox_instances{tier="wasm"} 4'));
  assert.ok(lines.includes("# TYPE kiln_mcp_call_duration_ms histogram"));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_bucket{tool="t",le="0.05"} 0'));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_bucket{tool="t",le="0.075"} 1'));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_bucket{tool="t",le="3"} 2'));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_bucket{tool="t",le="+Inf"} 2'));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_sum{tool="t"} 3.07'));
  assert.ok(lines.includes('kiln_mcp_call_duration_ms_count{tool="t"} 2'));
  // Every sample line is `name{labels} value` with a numeric value.
  for (const l of lines.filter((l) => !l.startsWith("#"))) {
    assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/, l);
  }
});

Deno.test("prometheus escapes label values and turns app metric names into valid names", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(promName("app.orders.placed"), "app_orders_placed");
  using t = testCollector();
  t.m.add("app.orders.placed", 1, { appId: "x", componentId: 'we"ird\\\nid' });
  assert.ok(
    t.m.prometheus().includes(
      'app_orders_placed_total{appId="x",componentId="we\\"ird\\\\\\nid"} 1',
    ),
  );
});

Deno.test("prometheus is empty before anything is recorded", () => {
  using t = testCollector();
  assert.equal(t.m.prometheus(), "");
});

Deno.test("prometheus labels every sample of a cluster node with its node id", () => {
  const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  const m = MetricCollector.open({ path: `${dir}/m.db`, flushIntervalMs: 0, node: "node-2" });
  try {
    m.add("kiln.invocations", 1, { appId: "a", outcome: "ok" });
    m.observe("kiln.mcp.call.duration_ms", 3, { tool: "t" });
    const lines = m.prometheus().trimEnd().split("\n").filter((l) => !l.startsWith("#"));
    assert.ok(lines.includes('kiln_invocations_total{node="node-2",appId="a",outcome="ok"} 1'));
    assert.ok(
      lines.includes('kiln_mcp_call_duration_ms_bucket{node="node-2",tool="t",le="+Inf"} 1'),
    );
    assert.ok(lines.every((l) => l.includes('node="node-2"')));
  } finally {
    m.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
