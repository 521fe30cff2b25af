import assert from "node:assert/strict";
import { escapeLabelValue, promLabel, promName } from "./_prometheus.ts";
import { renderProcessMetrics } from "./_process.ts";
import { MetricCollector } from "./collector.ts";
import { MIN, testCollector } from "./_test_support.ts";
import { VERSION } from "../core/mod.ts";

function samples(text: string): string[] {
  return text.trimEnd().split("\n").filter((l) => !l.startsWith("#"));
}

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
  assert.ok(lines.includes('kiln_invocations_total{app_id="a",outcome="ok"} 3'), "since start");
  assert.ok(lines.includes("# TYPE kiln_sandbox_instances gauge"));
  assert.ok(lines.includes('kiln_sandbox_instances{tier="wasm"} 4'));
  // Milliseconds are exposed in seconds: name, bounds, sum.
  assert.ok(lines.includes("# TYPE kiln_mcp_call_duration_seconds histogram"));
  assert.ok(
    lines.includes(
      "# HELP kiln_mcp_call_duration_seconds MCP tool call latency in seconds {app_id, tool}",
    ),
  );
  assert.ok(!text.includes("duration_ms"), text);
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_bucket{tool="t",le="0.0001"} 1'));
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_bucket{tool="t",le="0.002"} 1'));
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_bucket{tool="t",le="0.005"} 2'));
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_bucket{tool="t",le="+Inf"} 2'));
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_sum{tool="t"} 0.00307'));
  assert.ok(lines.includes('kiln_mcp_call_duration_seconds_count{tool="t"} 2'));
  // Every sample line is `name{labels} value` with a numeric value.
  for (const l of samples(text)) {
    assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/, l);
  }
});

Deno.test("prometheus exposes 18 increasing bucket bounds from 0.1 ms to 120 s", () => {
  using t = testCollector();
  for (const ms of [0.01, 0.15, 7, 900, 45_000, 500_000]) {
    t.m.observe("kiln.llm.duration_ms", ms, { model: "m" });
  }
  const buckets = samples(t.m.prometheus()).filter((l) => l.startsWith("kiln_llm_duration_"))
    .filter((l) => l.includes("_bucket"));
  const les = buckets.map((l) => /le="([^"]+)"/.exec(l)![1]);
  assert.equal(les.length, 19, "18 bounds and +Inf");
  assert.equal(les[0], "0.0001");
  assert.equal(les.at(-2), "120");
  assert.equal(les.at(-1), "+Inf");
  const bounds = les.slice(0, -1).map(Number);
  assert.ok(bounds.every((b, i) => i === 0 || b > bounds[i - 1]), les.join(","));
  const counts = buckets.map((l) => Number(l.split(" ").at(-1)));
  // 0.01 | 0.15 | 7 | 900 | 45 000 | overflow, accumulated at 0.1 ms, 0.2 ms, 10 ms, 1 s, 120 s.
  assert.deepEqual(
    counts.filter((_, i) => ["0.0001", "0.0002", "0.01", "1", "120"].includes(les[i])),
    [
      1,
      2,
      3,
      4,
      5,
    ],
  );
  assert.equal(counts.at(-1), 6);
});

Deno.test("prometheus spells label keys in snake_case and turns app metric names into valid names", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(promName("app.orders.placed"), "app_orders_placed");
  assert.equal(promLabel("componentId"), "component_id");
  assert.equal(promLabel("tier"), "tier");
  using t = testCollector();
  t.m.add("app.orders.placed", 1, { appId: "x", componentId: 'we"ird\\\nid' });
  t.m.observe("app.checkout.latency_ms", 1500, { appId: "x" });
  const text = t.m.prometheus();
  assert.ok(
    text.includes('app_orders_placed_total{app_id="x",component_id="we\\"ird\\\\\\nid"} 1'),
    text,
  );
  assert.ok(text.includes('app_checkout_latency_seconds_sum{app_id="x"} 1.5'), text);
  for (const l of samples(text)) {
    for (const [, key] of l.matchAll(/[{,]([a-zA-Z_]+)="/g)) assert.match(key, /^[a-z_]+$/, l);
  }
});

Deno.test("prometheus has only build info and process metrics before anything is recorded", () => {
  using t = testCollector();
  const names = samples(t.m.prometheus()).map((l) => /^[a-z_]+/.exec(l)![0]);
  assert.deepEqual(names.filter((n) => n !== "process_open_fds"), [
    "kiln_build_info",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
  ]);
});

Deno.test("process metrics carry the build versions and read the process at scrape time", () => {
  const probe = {
    rssBytes: () => 52_428_800,
    cpuSeconds: () => 1.25,
    openFds: () => 17,
    startSeconds: () => 1_796_083_200.5,
  };
  const lines = samples(renderProcessMetrics(undefined, probe));
  assert.deepEqual(lines, [
    `kiln_build_info{version="${VERSION}",deno_version="${Deno.version.deno}"} 1`,
    "process_cpu_seconds_total 1.25",
    "process_open_fds 17",
    "process_resident_memory_bytes 52428800",
    "process_start_time_seconds 1796083200.5",
  ]);
  const real = samples(renderProcessMetrics("n1"));
  const value = (n: string) => Number(real.find((l) => l.startsWith(`${n}{`))!.split(" ")[1]);
  assert.ok(value("process_resident_memory_bytes") > 10e6, "an RSS of at least 10 MB");
  assert.ok(value("process_open_fds") > 2, "stdin, stdout, stderr at least");
  const start = value("process_start_time_seconds");
  assert.ok(start <= Date.now() / 1000 && start > Date.now() / 1000 - 3600, String(start));
  assert.ok(real.every((l) => l.includes('{node="n1"')), real.join("\n"));
});

Deno.test("prometheus labels every sample of a cluster node with its node id", () => {
  const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  const m = MetricCollector.open({ path: `${dir}/m.db`, flushIntervalMs: 0, node: "node-2" });
  try {
    m.add("kiln.invocations", 1, { appId: "a", outcome: "ok" });
    m.observe("kiln.mcp.call.duration_ms", 3, { tool: "t" });
    const lines = samples(m.prometheus());
    assert.ok(lines.includes('kiln_invocations_total{node="node-2",app_id="a",outcome="ok"} 1'));
    assert.ok(
      lines.includes('kiln_mcp_call_duration_seconds_bucket{node="node-2",tool="t",le="+Inf"} 1'),
    );
    assert.ok(lines.every((l) => l.includes('node="node-2"')));
  } finally {
    m.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a live gauge is read at each scrape, not left at its last push", () => {
  const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  let open = 3;
  const m = MetricCollector.open({
    path: `${dir}/metrics.db`,
    flushIntervalMs: 0,
    readLive: (sink) => sink.gauge("kiln.sandbox.instances", open, { tier: "isolate" }),
  });
  try {
    m.gauge("kiln.sandbox.instances", 9, { tier: "isolate" });
    assert.ok(samples(m.prometheus()).includes('kiln_sandbox_instances{tier="isolate"} 3'));
    open = 0; // the sandboxes closed with no execution since
    assert.ok(samples(m.prometheus()).includes('kiln_sandbox_instances{tier="isolate"} 0'));
  } finally {
    m.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
