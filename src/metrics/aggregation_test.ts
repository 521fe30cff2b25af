import assert from "node:assert/strict";
import { HOUR, MIN, testCollector } from "./_test_support.ts";
import { MetricCollector } from "./collector.ts";

const inv = { appId: "a", componentId: "c", tier: "isolate", outcome: "ok" };

Deno.test("points aggregate into one-minute buckets per series, stored and unflushed alike", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  m.add("kiln.invocations", 1, inv);
  m.add("kiln.invocations", 2, inv);
  clock.advance(MIN);
  m.add("kiln.invocations", 1, { ...inv, outcome: "app_error" });
  const before = m.query({ name: "kiln.invocations", from, to: from + 3 * MIN, stepMs: MIN });
  m.flush();
  clock.advance(10_000);
  m.add("kiln.invocations", 5, inv); // same minute as a flushed row: merged on the next flush
  const after = m.query({ name: "kiln.invocations", from, to: from + 3 * MIN, stepMs: MIN });
  m.flush();
  assert.deepEqual(m.query({ name: "kiln.invocations", from, to: from + 3 * MIN }), after);

  assert.equal(before.kind, "sum");
  assert.deepEqual(before.series.map((s) => s.labels.outcome), ["app_error", "ok"]);
  const ok = after.series.find((s) => s.labels.outcome === "ok")!;
  assert.deepEqual(ok.points.map((p) => [p.t - from, p.count, p.sum]), [
    [0, 2, 3],
    [MIN, 1, 5],
    [2 * MIN, 0, 0],
  ]);
  assert.equal(ok.points[2].avg, null);
});

Deno.test("groupBy merges series; summary answers one window; filters narrow by label", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  for (const [tier, ms] of [["isolate", 10], ["wasm", 20], ["isolate", 30]] as const) {
    m.observe("kiln.invocation.duration_ms", ms, { ...inv, tier });
  }
  m.flush();
  m.observe("kiln.invocation.duration_ms", 40, { ...inv, appId: "b" });
  const q = { name: "kiln.invocation.duration_ms", from, to: from + HOUR };
  const byApp = m.query({ ...q, stepMs: HOUR, groupBy: ["appId"] });
  assert.deepEqual(byApp.series.map((s) => [s.labels, s.points[0].count]), [
    [{ appId: "a" }, 3],
    [{ appId: "b" }, 1],
  ]);
  const all = m.summary({ ...q, appId: "a" });
  assert.deepEqual([all.t, all.count, all.sum, all.min, all.max, all.avg], [
    from,
    3,
    60,
    10,
    30,
    20,
  ]);
  assert.equal(m.summary({ ...q, appId: "a", labels: { tier: "wasm" } }).count, 1);
  assert.equal(m.summary({ ...q, componentId: "nope" }).count, 0);
});

Deno.test("gauges answer their latest value", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  m.gauge("kiln.sandbox.instances", 3, { tier: "wasm" });
  clock.advance(1000);
  m.gauge("kiln.sandbox.instances", 1, { tier: "wasm" });
  m.flush();
  clock.advance(MIN);
  m.gauge("kiln.sandbox.instances", 2, { tier: "wasm" });
  const s = m.summary({ name: "kiln.sandbox.instances", from, to: from + HOUR });
  assert.deepEqual([s.count, s.last, s.min, s.max, s.p50], [3, 2, 1, 3, null]);
});

Deno.test("stored rows and app metric names survive a restart", () => {
  using t = testCollector();
  const { m, clock, file } = t;
  const from = clock.t;
  m.add("app.orders.placed", 4, { appId: "a" });
  m.close();
  const again = MetricCollector.open({ path: file, clock, flushIntervalMs: 0 });
  try {
    assert.ok(again.names().some((n) => n.name === "app.orders.placed" && n.kind === "sum"));
    assert.equal(again.summary({ name: "app.orders.placed", from, to: from + MIN }).sum, 4);
  } finally {
    again.close();
  }
});

Deno.test("queries refuse unknown names, empty ranges and too-fine steps", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  const codes = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as { code: string }).code;
    }
    return "none";
  };
  assert.equal(
    codes(() => m.query({ name: "kiln.nope", from, to: from + MIN })),
    "METRIC_NOT_FOUND",
  );
  assert.equal(
    codes(() => m.query({ name: "app.unseen", from, to: from + MIN })),
    "METRIC_NOT_FOUND",
  );
  assert.equal(codes(() => m.summary({ name: "kiln.invocations", from, to: from })), "BAD_REQUEST");
  const fine = { name: "kiln.invocations", from, to: from + HOUR, stepMs: 1000 };
  assert.equal(codes(() => m.query(fine)), "BAD_REQUEST");
  const many = { name: "kiln.invocations", from, to: from + 30 * 24 * HOUR, stepMs: MIN };
  assert.equal(codes(() => m.query(many)), "BAD_REQUEST");
});

Deno.test("tiny sums (fractions of a micro-dollar) survive summarising", () => {
  using t = testCollector();
  const { m, clock } = t;
  m.add("kiln.llm.cost_usd", 3e-8, { appId: "a" });
  m.add("kiln.llm.cost_usd", 3e-8, { appId: "a" });
  assert.equal(
    m.summary({ name: "kiln.llm.cost_usd", from: clock.t, to: clock.t + MIN }).sum,
    6e-8,
  );
});

Deno.test("points land in their own series whatever the order: a label dropped, cut or unknown", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  const long = "x".repeat(300);
  m.add("kiln.invocations", 1, { appId: "a", tier: "isolate" });
  m.add("kiln.invocations", 2, { appId: "a" });
  m.add("kiln.invocations", 4, { appId: "a", tier: "isolate" });
  m.add("kiln.invocations", 8, { appId: long });
  m.add("kiln.invocations", 16, { appId: long });
  // A key that is no label is ignored: the same series as without it.
  m.add("kiln.invocations", 32, { appId: "a", nope: "1" } as never);
  const q = m.query({ name: "kiln.invocations", from, to: from + MIN, stepMs: MIN });
  const sums = q.series.map((s) => [s.labels.appId?.length, s.labels.tier ?? "-", s.points[0].sum]);
  assert.deepEqual(sums.sort(), [[1, "-", 34], [1, "isolate", 5], [200, "-", 24]].sort());
});
