import assert from "node:assert/strict";
import { BUCKET_BOUNDS, BUCKET_COUNT, bucketIndex, quantile } from "./_histogram.ts";
import { HOUR, testCollector } from "./_test_support.ts";

Deno.test("bucket bounds are fixed, increasing, ms-friendly and span 0.05 ms to 120 s", () => {
  assert.equal(BUCKET_BOUNDS[0], 0.05);
  assert.equal(BUCKET_BOUNDS.at(-1), 120_000);
  assert.ok(
    BUCKET_BOUNDS.includes(1) && BUCKET_BOUNDS.includes(7.5) && BUCKET_BOUNDS.includes(300),
  );
  for (let i = 1; i < BUCKET_BOUNDS.length; i++) {
    const ratio = BUCKET_BOUNDS[i] / BUCKET_BOUNDS[i - 1];
    assert.ok(ratio > 1 && ratio <= 5 / 3 + 1e-9, `ratio at ${BUCKET_BOUNDS[i]}`);
  }
  assert.equal(bucketIndex(0), 0);
  assert.equal(bucketIndex(0.05), 0);
  assert.equal(bucketIndex(0.051), 1);
  assert.equal(bucketIndex(1e9), BUCKET_COUNT - 1);
});

Deno.test("percentiles are interpolated within buckets and clamped to min and max", () => {
  const one = new Array(BUCKET_COUNT).fill(0);
  one[bucketIndex(42)] = 1;
  assert.equal(quantile(one, 1, 42, 42, 0.5), 42);
  assert.equal(quantile(one, 0, 0, 0, 0.5), null);
});

Deno.test("p50/p95/p99 of a uniform 1..1000 ms distribution land within bucket error", () => {
  using t = testCollector();
  const { m, clock } = t;
  const from = clock.t;
  for (let v = 1; v <= 1000; v++) m.observe("kiln.mcp.call.duration_ms", v, { tool: "x" });
  m.flush();
  const s = m.summary({ name: "kiln.mcp.call.duration_ms", from, to: from + HOUR });
  assert.equal(s.count, 1000);
  for (const [got, want] of [[s.p50, 500], [s.p95, 950], [s.p99, 990]] as const) {
    assert.ok(got !== null && Math.abs(got - want) / want < 0.1, `${got} vs ${want}`);
  }
  assert.equal(s.min, 1);
  assert.equal(s.max, 1000);
  const sum = m.summary({ name: "kiln.invocations", from, to: from + HOUR });
  assert.equal(sum.p50, null, "sums have no percentiles");
});
