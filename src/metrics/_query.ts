import { KilnError, quote } from "../core/mod.ts";
import {
  type Aggregate,
  type AggregateRow,
  emptyAggregate,
  mergeInto,
  mergeRowInto,
  summarize,
} from "./_aggregate.ts";
import { labelsMatch, project, type Series, seriesKey } from "./_series.ts";
import { type MetricStore, MINUTE } from "./_store.ts";
import type {
  MetricKind,
  MetricLabels,
  MetricPointSummary,
  MetricQuery,
  MetricQueryResult,
  MetricSelector,
} from "./types.ts";

/** Most points one query may answer per series, and most series (groups) it may answer. */
export const MAX_POINTS = 1_500;
export const MAX_GROUPS = 1_000;

/** An aggregate in memory, or a stored row (merged without an intermediate aggregate). */
type Source = { agg: Aggregate; row?: undefined } | { agg?: undefined; row: AggregateRow };

/** Calls `visit` with every aggregate of the selected series that overlaps [from, to). */
type Visit = (labels: MetricLabels, t: number, src: Source) => void;

function mergeSource(into: Aggregate, src: Source): void {
  if (src.row) mergeRowInto(into, src.row);
  else mergeInto(into, src.agg);
}

/**
 * Reads stored rows and the not-yet-flushed minutes together: a query sees a point the moment it
 * is recorded, and flushing changes nothing a query answers.
 */
export function scan(
  store: MetricStore,
  memory: Iterable<Series>,
  q: MetricSelector,
  visit: Visit,
) {
  const want: MetricLabels = {
    ...q.labels,
    ...(q.appId !== undefined ? { appId: q.appId } : {}),
    ...(q.componentId !== undefined ? { componentId: q.componentId } : {}),
  };
  // Hour rows may start up to an hour before `from` and still overlap it.
  for (const s of store.find(q.name, want.appId, want.componentId)) {
    if (!labelsMatch(s.labels, want)) continue;
    for (const row of store.rows(s.id, q.from - 3_600_000, q.to)) {
      if (row.t + row.res > q.from) visit(s.labels, row.t, { row });
    }
  }
  for (const s of memory) {
    if (s.name !== q.name || !labelsMatch(s.labels, want)) continue;
    for (const p of s.pending) {
      if (p.t + MINUTE > q.from && p.t < q.to) visit(s.labels, p.t, { agg: p.agg });
    }
    if (s.current && s.minute + MINUTE > q.from && s.minute < q.to) {
      visit(s.labels, s.minute, { agg: s.current });
    }
  }
}

/** Checks a window; BAD_REQUEST for an empty, reversed or non-finite one. */
export function checkRange(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw new KilnError("BAD_REQUEST", `the range from ${quote(from)} to ${quote(to)} is empty`);
  }
}

/** The default step: one minute, widened in whole minutes to keep about 120 points. */
export function defaultStep(from: number, to: number): number {
  return Math.max(MINUTE, Math.ceil((to - from) / 120 / MINUTE) * MINUTE);
}

/** A range query over `scan`: dense points per step, one series per distinct grouped labels. */
export function rangeQuery(
  kind: MetricKind,
  q: MetricQuery,
  each: (visit: Visit) => void,
): MetricQueryResult {
  checkRange(q.from, q.to);
  const step = q.stepMs ?? defaultStep(q.from, q.to);
  if (!Number.isFinite(step) || step < MINUTE) {
    throw new KilnError("BAD_REQUEST", `stepMs must be at least ${MINUTE}, got ${quote(step)}`);
  }
  const n = Math.ceil((q.to - q.from) / step);
  if (n > MAX_POINTS) {
    throw new KilnError(
      "BAD_REQUEST",
      `the range holds ${n} steps of ${step} ms; at most ${MAX_POINTS} are answered`,
    );
  }
  const groups = new Map<string, { labels: MetricLabels; aggs: Aggregate[] }>();
  each((labels, t, src) => {
    const grouped = project(labels, q.groupBy);
    const key = seriesKey("", grouped);
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= MAX_GROUPS) {
        throw new KilnError(
          "BAD_REQUEST",
          `the query matches over ${MAX_GROUPS} series; narrow it`,
        );
      }
      g = { labels: grouped, aggs: Array.from({ length: n }, () => emptyAggregate(kind)) };
      groups.set(key, g);
    }
    const i = Math.min(n - 1, Math.max(0, Math.floor((t - q.from) / step)));
    mergeSource(g.aggs[i], src);
  });
  const series = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
    [, g],
  ) => ({
    labels: g.labels,
    points: g.aggs.map((agg, i): MetricPointSummary => summarize(agg, kind, q.from + i * step)),
  }));
  return { name: q.name, kind, series };
}

/** One aggregate over the whole window. */
export function windowSummary(
  kind: MetricKind,
  q: MetricSelector,
  each: (visit: Visit) => void,
): MetricPointSummary {
  checkRange(q.from, q.to);
  const total = emptyAggregate(kind);
  each((_labels, _t, src) => mergeSource(total, src));
  return summarize(total, kind, q.from);
}
