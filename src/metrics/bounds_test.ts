import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { HOUR, MIN, testCollector } from "./_test_support.ts";
import { MAX_LABEL_VALUE } from "./_series.ts";

function dropped(text: string, kind: string): number {
  const m = new RegExp(`kiln_metrics_dropped_total\\{kind="${kind}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

Deno.test("new series beyond maxSeries are dropped and counted; existing ones keep counting", () => {
  using t = testCollector({ maxSeries: 3 });
  const { m, clock } = t;
  for (let i = 0; i < 5; i++) m.add("kiln.invocations", 1, { appId: `a${i}` });
  m.add("kiln.invocations", 1, { appId: "a0" });
  const q = {
    name: "kiln.invocations",
    from: clock.t,
    to: clock.t + HOUR,
    groupBy: ["appId" as const],
  };
  assert.deepEqual(m.query(q).series.map((s) => [s.labels.appId, s.points[0].count]), [
    ["a0", 2],
    ["a1", 1],
    ["a2", 1],
  ]);
  assert.equal(dropped(m.prometheus(), "series"), 2);
});

Deno.test("stored rows beyond maxRows are deleted oldest first and counted", () => {
  using t = testCollector({ maxRows: 5 });
  const { m, clock, file } = t;
  const from = clock.t;
  for (let i = 0; i < 8; i++) {
    m.add("kiln.invocations", 1, { appId: "a" });
    clock.advance(MIN);
    m.flush();
    clock.advance(MIN); // maintenance runs at most once a minute
  }
  const db = new DatabaseSync(file);
  const { n } = db.prepare("SELECT count(*) AS n FROM points").get() as { n: number };
  db.close();
  assert.ok(n <= 6, `${n} rows`); // the cap, plus the dropped counter's own row of the last flush
  const s = m.query({ name: "kiln.invocations", from, to: clock.t, stepMs: 2 * MIN });
  assert.equal(s.series[0].points[0].count, 0, "the oldest minutes went first");
  assert.equal(s.series[0].points.at(-1)!.count, 1);
  assert.ok(dropped(m.prometheus(), "rows") >= 3);
});

Deno.test("non-finite values, negative sums, kind clashes and unknown names are dropped, never thrown", () => {
  using t = testCollector();
  const { m, clock } = t;
  m.add("kiln.invocations", NaN, {});
  m.add("kiln.invocations", -1, {});
  m.observe("kiln.invocations", 1, {});
  m.add("app.x", 1, {});
  m.observe("app.x", 1, {});
  m.add("made.up", 1, {});
  m.add("app.Bad-Name", 1, {});
  m.observe("kiln.llm.duration_ms", Infinity, {});
  const text = m.prometheus();
  assert.equal(dropped(text, "value"), 3);
  assert.equal(dropped(text, "kind"), 2);
  assert.equal(dropped(text, "name"), 2);
  assert.equal(m.summary({ name: "kiln.invocations", from: clock.t, to: clock.t + MIN }).count, 0);
  assert.equal(m.kindOf("app.x"), "sum");
  assert.equal(m.kindOf("made.up"), undefined);
});

Deno.test("label values are cut to a bounded length and after close points are ignored", () => {
  using t = testCollector();
  const { m, clock } = t;
  m.add("kiln.invocations", 1, { appId: "x".repeat(1000) });
  const r = m.query({ name: "kiln.invocations", from: clock.t, to: clock.t + MIN });
  assert.equal(r.series[0].labels.appId!.length, MAX_LABEL_VALUE);
  m.close();
  m.add("kiln.invocations", 1, {});
  m.flush();
});

Deno.test("without flushes a series keeps at most an hour of finished minutes in memory", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  for (let i = 0; i < 70; i++) {
    m.add("kiln.invocations", 1, { appId: "a" });
    clock.advance(MIN);
  }
  const s = m.summary({ name: "kiln.invocations", from, to: clock.t, appId: "a" });
  assert.equal(s.count, 61, "60 pending minutes plus the current one");
  assert.equal(dropped(m.prometheus(), "rows"), 9);
  assert.ok(m.prometheus().includes('kiln_invocations_total{app_id="a"} 70'), "totals keep all");
});
