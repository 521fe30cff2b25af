import type { Aggregate } from "./_aggregate.ts";
import { LABEL_KEYS, type MetricKind, type MetricLabels } from "./types.ts";

/** Longest label value kept; longer ones are cut so one bad caller cannot bloat every row. */
export const MAX_LABEL_VALUE = 200;

/**
 * One series (name + its labels) as the collector holds it: the minute being filled, minutes
 * not yet flushed, and the all-time aggregate Prometheus renders.
 */
export interface Series {
  key: string;
  name: string;
  kind: MetricKind;
  labels: MetricLabels;
  /** Start (epoch ms) of the minute `current` aggregates; -1 when none. */
  minute: number;
  current: Aggregate | null;
  /** Finished minutes waiting for the next flush. */
  pending: { t: number; agg: Aggregate }[];
  /** Since process start. */
  total: Aggregate;
}

/**
 * The identity of a series: its name and its set labels in `LABEL_KEYS` (sorted) order. Built by
 * concatenation on the hot path; `\u0001`/`\u0002` cannot occur in the labels callers pass on
 * purpose, and a collision would only merge two series.
 */
export function seriesKey(name: string, labels: MetricLabels): string {
  let key = name;
  for (let i = 0; i < LABEL_KEYS.length; i++) {
    const k = LABEL_KEYS[i];
    const v = labels[k];
    if (v !== undefined) key += "\u0001" + k + "\u0002" + v;
  }
  return key;
}

/** A copy of the labels with only known keys, set values, as strings, cut to length. */
export function cleanLabels(labels: MetricLabels): MetricLabels {
  const out: MetricLabels = {};
  for (const k of LABEL_KEYS) {
    const v = labels[k];
    if (v === undefined || v === null) continue;
    const s = String(v);
    out[k] = s.length > MAX_LABEL_VALUE ? s.slice(0, MAX_LABEL_VALUE) : s;
  }
  return out;
}

/** Whether `labels` has every label of `want` with the same value. */
export function labelsMatch(labels: MetricLabels, want: MetricLabels | undefined): boolean {
  if (!want) return true;
  for (const k of LABEL_KEYS) {
    const v = want[k];
    if (v !== undefined && labels[k] !== v) return false;
  }
  return true;
}

/** The labels of `labels` named in `groupBy` (all of them when absent). */
export function project(labels: MetricLabels, groupBy?: readonly (keyof MetricLabels)[]) {
  if (!groupBy) return labels;
  const out: MetricLabels = {};
  for (const k of groupBy) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}
