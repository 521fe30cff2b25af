import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { HOUR, MIN, testCollector } from "./_test_support.ts";

const DAY = 24 * HOUR;

function rows(file: string): { res: number; n: number }[] {
  const db = new DatabaseSync(file);
  try {
    const all = db.prepare("SELECT res, count(*) AS n FROM points GROUP BY res ORDER BY res").all();
    return all.map((r) => ({ ...r })) as {
      res: number;
      n: number;
    }[];
  } finally {
    db.close();
  }
}

Deno.test("minute rows older than 48 h fold into hour rows without losing counts or percentiles", () => {
  using t = testCollector();
  const { m, clock, file } = t;
  const from = clock.t;
  for (let i = 0; i < 90; i++) {
    m.observe("kiln.llm.duration_ms", i + 1, { appId: "a", model: "m" });
    clock.advance(MIN);
    if (i % 30 === 29) m.flush();
  }
  m.flush();
  const before = m.summary({ name: "kiln.llm.duration_ms", from, to: from + 2 * HOUR });
  assert.deepEqual(rows(file), [{ res: MIN, n: 90 }]);

  clock.advance(48 * HOUR);
  m.flush();
  assert.deepEqual(rows(file), [{ res: HOUR, n: 2 }]);
  const after = m.summary({ name: "kiln.llm.duration_ms", from, to: from + 2 * HOUR });
  assert.deepEqual(after, before);
  const hourly = m.query({ name: "kiln.llm.duration_ms", from, to: from + 2 * HOUR, stepMs: HOUR });
  assert.deepEqual(hourly.series[0].points.map((p) => p.count), [60, 30]);
});

Deno.test("hour rows older than 30 days are deleted, and their series forgotten", () => {
  using t = testCollector({ minuteMs: HOUR, hourMs: 2 * DAY });
  const { m, clock, file } = t;
  const from = clock.t;
  m.add("kiln.invocations", 1, { appId: "a" });
  m.flush();
  clock.advance(2 * HOUR);
  m.flush();
  assert.deepEqual(rows(file), [{ res: HOUR, n: 1 }]);
  clock.advance(2 * DAY);
  m.flush();
  assert.deepEqual(rows(file), []);
  assert.equal(m.summary({ name: "kiln.invocations", from, to: clock.t }).count, 0);
});

Deno.test("defaults keep minutes 48 h and hours 30 days", () => {
  using t = testCollector();
  const { m, clock, file } = t;
  m.add("kiln.invocations", 1, { appId: "a" });
  m.flush();
  clock.advance(47 * HOUR);
  m.flush();
  assert.deepEqual(rows(file), [{ res: MIN, n: 1 }]);
  clock.advance(2 * HOUR);
  m.flush();
  assert.deepEqual(rows(file), [{ res: HOUR, n: 1 }]);
  clock.advance(27 * DAY); // 29 days and an hour after the point
  m.flush();
  assert.deepEqual(rows(file), [{ res: HOUR, n: 1 }]);
  clock.advance(DAY);
  m.flush();
  assert.deepEqual(rows(file), []);
});

Deno.test("a node stopped for days folds its backlog of minutes window by window", () => {
  using t = testCollector();
  const { m, clock, file } = t;
  const from = clock.t;
  for (let i = 0; i < 40; i++) {
    m.add("kiln.invocations", 1, { appId: "a" });
    clock.advance(30 * MIN);
    m.flush();
  }
  clock.advance(10 * DAY);
  m.flush();
  assert.deepEqual(rows(file), [{ res: HOUR, n: 20 }]);
  assert.equal(m.summary({ name: "kiln.invocations", from, to: clock.t }).sum, 40);
});
