import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import FakeTimers from "@sinonjs/fake-timers";
import { MetricCollector } from "./collector.ts";

function storedCount(file: string): number {
  const db = new DatabaseSync(file);
  try {
    return (db.prepare(
      "SELECT coalesce(sum(count), 0) AS n FROM points p JOIN series s " +
        "ON s.id = p.series_id WHERE s.name = 'kiln.invocations'",
    ).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

Deno.test("memory is flushed to SQLite every flushIntervalMs and once more on close", () => {
  const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  const file = `${dir}/metrics.db`;
  const fake = FakeTimers.createClock(Date.UTC(2026, 11, 1));
  const m = MetricCollector.open({
    path: file,
    clock: { now: () => fake.now },
    timers: fake,
    flushIntervalMs: 10_000,
  });
  try {
    m.add("kiln.invocations", 1, { appId: "a" });
    fake.tick(9_999);
    assert.equal(storedCount(file), 0);
    fake.tick(1);
    assert.equal(storedCount(file), 1);
    m.add("kiln.invocations", 1, { appId: "a" });
    m.add("kiln.invocations", 1, { appId: "a" });
    m.close();
    assert.equal(storedCount(file), 3, "close flushes what is left");
    assert.equal(fake.countTimers(), 0, "close stops the timer");
  } finally {
    m.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("with the default timer, close leaves no interval behind (the op sanitizer checks)", () => {
  const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-" });
  const m = MetricCollector.open({ path: `${dir}/metrics.db` });
  m.add("kiln.invocations", 1, {});
  m.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("a metric file that cannot be opened answers UNAVAILABLE", () => {
  assert.throws(
    () => MetricCollector.open({ path: "/nonexistent-kiln-dir/x/metrics.db", flushIntervalMs: 0 }),
    (err: unknown) => (err as { code?: string }).code === "UNAVAILABLE",
  );
});
