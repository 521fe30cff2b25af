import { BUCKET_BOUNDS } from "./_histogram.ts";
import type { Series } from "./_series.ts";
import { LABEL_KEYS, type MetricLabels } from "./types.ts";

/** The Content-Type of the Prometheus text exposition format this renders. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A Prometheus metric name: dots (and anything else outside `[a-zA-Z0-9_:]`) become `_`. */
export function promName(name: string): string {
  const out = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** A label value with `\`, `"` and newlines escaped, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelsOf(labels: MetricLabels, extra?: string, node?: string): string {
  const parts: string[] = node === undefined ? [] : [`node="${escapeLabelValue(node)}"`];
  for (const k of LABEL_KEYS) {
    const v = labels[k];
    if (v !== undefined) parts.push(`${k}="${escapeLabelValue(v)}"`);
  }
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/**
 * Renders the all-time aggregates of every series in the text exposition format 0.0.4: one
 * HELP and TYPE line per name, sums as `<name>_total` counters, gauges by their last value,
 * histograms as cumulative `_bucket{le}` lines plus `_sum` and `_count`. In a cluster every
 * sample carries the node's id as `node`, so series of different nodes never merge.
 */
export function renderPrometheus(
  series: Iterable<Series>,
  describe: (name: string) => string,
  /** A cluster node's id, set as the `node` label of every sample. */
  node?: string,
): string {
  const labelText = (labels: MetricLabels, extra?: string) => labelsOf(labels, extra, node);
  const byName = new Map<string, Series[]>();
  for (const s of series) {
    if (s.total.count === 0) continue;
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const lines: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    const list = byName.get(name)!.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const kind = list[0].kind;
    const base = promName(name);
    const type = kind === "sum" ? "counter" : kind;
    const metric = kind === "sum" ? `${base}_total` : base;
    lines.push(`# HELP ${metric} ${escapeHelp(describe(name))}`, `# TYPE ${metric} ${type}`);
    for (const s of list) {
      const t = s.total;
      if (kind === "sum") lines.push(`${metric}${labelText(s.labels)} ${num(t.sum)}`);
      else if (kind === "gauge") lines.push(`${metric}${labelText(s.labels)} ${num(t.last)}`);
      else {
        let cumulative = 0;
        for (let i = 0; i < BUCKET_BOUNDS.length; i++) {
          cumulative += t.buckets![i];
          lines.push(
            `${base}_bucket${labelText(s.labels, `le="${BUCKET_BOUNDS[i]}"`)} ${cumulative}`,
          );
        }
        lines.push(`${base}_bucket${labelText(s.labels, 'le="+Inf"')} ${t.count}`);
        lines.push(`${base}_sum${labelText(s.labels)} ${num(t.sum)}`);
        lines.push(`${base}_count${labelText(s.labels)} ${t.count}`);
      }
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
