import { BUCKET_COUNT, bucketIndex, quantile } from "./_histogram.ts";
import type { MetricKind, MetricPointSummary } from "./types.ts";

/**
 * The aggregate of one series over one bucket of time (a minute, an hour, a query step, or all
 * time for Prometheus). Aggregates of the same kind merge exactly — counts, sums, extremes, the
 * latest gauge value and the fixed histogram buckets all add up — which is what makes rollups and
 * "stored rows + unflushed memory" queries correct.
 */
export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Latest value and when it was recorded (gauges). */
  last: number;
  lastT: number;
  /** Histogram bucket counts, `BUCKET_COUNT` long; null for sums and gauges. */
  buckets: number[] | null;
}

export function emptyAggregate(kind: MetricKind): Aggregate {
  return {
    count: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    last: 0,
    lastT: -Infinity,
    buckets: kind === "histogram" ? new Array<number>(BUCKET_COUNT).fill(0) : null,
  };
}

/** Records one value at time `t`: the hot path, no allocation. */
export function recordValue(agg: Aggregate, value: number, t: number): void {
  agg.count++;
  agg.sum += value;
  if (value < agg.min) agg.min = value;
  if (value > agg.max) agg.max = value;
  if (t >= agg.lastT) {
    agg.last = value;
    agg.lastT = t;
  }
  if (agg.buckets !== null) agg.buckets[bucketIndex(value)]++;
}

/** Adds `from` into `into`. */
export function mergeInto(into: Aggregate, from: Aggregate): void {
  if (from.count === 0) return;
  into.count += from.count;
  into.sum += from.sum;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  if (from.lastT >= into.lastT) {
    into.last = from.last;
    into.lastT = from.lastT;
  }
  if (into.buckets !== null && from.buckets !== null) {
    for (let i = 0; i < into.buckets.length; i++) into.buckets[i] += from.buckets[i] ?? 0;
  }
}

/** Adds a stored row into `into` without building an aggregate for it (the query path). */
export function mergeRowInto(into: Aggregate, row: AggregateRow): void {
  if (row.count === 0) return;
  into.count += row.count;
  into.sum += row.sum;
  if (row.min < into.min) into.min = row.min;
  if (row.max > into.max) into.max = row.max;
  if (row.last_t >= into.lastT) {
    into.last = row.last;
    into.lastT = row.last_t;
  }
  if (into.buckets !== null && row.buckets) {
    const stored = JSON.parse(row.buckets) as number[];
    const n = Math.min(stored.length, into.buckets.length);
    for (let i = 0; i < n; i++) into.buckets[i] += stored[i];
  }
}

/** The public summary of an aggregate, as a point starting at `t`. */
export function summarize(agg: Aggregate, kind: MetricKind, t: number): MetricPointSummary {
  const has = agg.count > 0;
  const q = (p: number) =>
    has && agg.buckets !== null
      ? round(quantile(agg.buckets, agg.count, agg.min, agg.max, p))
      : null;
  return {
    t,
    count: agg.count,
    sum: round(agg.sum) ?? 0,
    min: has ? agg.min : null,
    max: has ? agg.max : null,
    avg: has ? round(agg.sum / agg.count) : null,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    last: has && kind === "gauge" ? agg.last : null,
  };
}

/** The stored columns of an aggregate; buckets are a JSON array (trailing zeros cut). */
export interface AggregateRow {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  last_t: number;
  buckets: string | null;
}

export function toRow(agg: Aggregate): AggregateRow {
  let buckets: string | null = null;
  if (agg.buckets !== null) {
    let end = agg.buckets.length;
    while (end > 0 && agg.buckets[end - 1] === 0) end--;
    buckets = JSON.stringify(agg.buckets.slice(0, end));
  }
  return {
    count: agg.count,
    sum: agg.sum,
    min: agg.min,
    max: agg.max,
    last: agg.last,
    last_t: agg.lastT,
    buckets,
  };
}

export function fromRow(row: AggregateRow, kind: MetricKind): Aggregate {
  const agg = emptyAggregate(kind);
  Object.assign(agg, {
    count: row.count,
    sum: row.sum,
    min: row.min,
    max: row.max,
    last: row.last,
    lastT: row.last_t,
  });
  if (agg.buckets !== null && row.buckets) {
    const stored = JSON.parse(row.buckets) as number[];
    for (let i = 0; i < stored.length && i < agg.buckets.length; i++) agg.buckets[i] = stored[i];
  }
  return agg;
}

function round(n: number | null): number | null {
  // Float noise only: costs of a fraction of a micro-dollar must survive.
  return n === null ? null : Math.round(n * 1e9) / 1e9;
}
