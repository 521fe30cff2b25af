import { BUCKET_BOUNDS } from "./_histogram.ts";
import type { Series } from "./_series.ts";
import { LABEL_KEYS, type MetricLabels } from "./types.ts";

/** The Content-Type of the Prometheus text exposition format this renders. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The bucket bounds (in the recorded unit) Prometheus sees: a 1-2-5 subset of `BUCKET_BOUNDS`.
 * Each is an edge of the stored buckets, so the cumulative count at it is exact; 18 buckets
 * instead of 38 keep scrapes and Prometheus' series count small.
 */
export const EXPOSED_BOUNDS: readonly number[] = [
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
  2000,
  5000,
  10_000,
  30_000,
  120_000,
];

/** A Prometheus metric name: dots (and anything else outside `[a-zA-Z0-9_:]`) become `_`. */
export function promName(name: string): string {
  const out = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** A label key in Prometheus' snake_case: `appId` → `app_id`. */
export function promLabel(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * How a recorded name is exposed: names kept in milliseconds (`*_ms`) become `*_seconds` and
 * their values (and bucket bounds) are divided by 1000, as Prometheus wants base units.
 */
export function exposedUnit(name: string): { base: string; scale: number } {
  const base = promName(name);
  return base.endsWith("_ms")
    ? { base: `${base.slice(0, -3)}_seconds`, scale: 1 / 1000 }
    : { base, scale: 1 };
}

/** A label value with `\`, `"` and newlines escaped, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A HELP text with `\` and newlines escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** `{k="v",...}` from already-escaped pairs, or nothing when there are none. */
export function labelSet(pairs: [string, string][], node?: string): string {
  const all = node === undefined ? pairs : [["node", node] as [string, string], ...pairs];
  return all.length ? `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}` : "";
}

/** The escaped `k="v"` pairs of a series (node first), joined by commas; built once per series. */
function labelPairs(labels: MetricLabels, node?: string): string {
  const parts: string[] = node === undefined ? [] : [`node="${escapeLabelValue(node)}"`];
  for (const k of LABEL_KEYS) {
    const v = labels[k];
    if (v !== undefined) parts.push(`${promLabel(k)}="${escapeLabelValue(v)}"`);
  }
  return parts.join(",");
}

/** A sample value as the format spells it. */
export function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** A scaled bound without binary noise (0.3 / 1000 is 0.00030000000000000003). */
function bound(ms: number, scale: number): string {
  return String(Number((ms * scale).toPrecision(6)));
}

/** A label key named in a catalogue description, to be spelled as exposed. */
const LABEL_WORD = new RegExp(`\\b(${LABEL_KEYS.join("|")})\\b`, "g");

/** The catalogue says "in ms"; the exposition is in seconds. */
function inSeconds(help: string): string {
  return /\bin ms\b/.test(help) ? help.replace(/\bin ms\b/, "in seconds") : `${help} (in seconds)`;
}

/** For each exposed bound, the index of the stored bucket it closes. */
const EXPOSED_INDEX = EXPOSED_BOUNDS.map((b) => {
  const i = BUCKET_BOUNDS.indexOf(b);
  if (i < 0) throw new Error(`exposed bound ${b} is not a stored bucket edge`);
  return i;
});

/**
 * Renders the all-time aggregates of every series in the text exposition format 0.0.4: one
 * HELP and TYPE line per name, sums as `<name>_total` counters, gauges by their last value,
 * histograms as cumulative `_bucket{le}` lines plus `_sum` and `_count`. Label keys are
 * snake_case and `_ms` names are exposed in seconds (`exposedUnit`). In a cluster every sample
 * carries the node's id as `node`, so series of different nodes never merge.
 */
export function renderPrometheus(
  series: Iterable<Series>,
  describe: (name: string) => string,
  /** A cluster node's id, set as the `node` label of every sample. */
  node?: string,
): string {
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
    const { base, scale } = exposedUnit(name);
    const les = EXPOSED_BOUNDS.map((b) => bound(b, scale));
    const type = kind === "sum" ? "counter" : kind;
    const metric = kind === "sum" ? `${base}_total` : base;
    const described = describe(name).replace(LABEL_WORD, promLabel);
    const help = scale === 1 ? described : inSeconds(described);
    lines.push(`# HELP ${metric} ${escapeHelp(help)}`, `# TYPE ${metric} ${type}`);
    for (const s of list) {
      const t = s.total;
      const pairs = labelPairs(s.labels, node);
      const at = (le?: string) =>
        le === undefined ? (pairs ? `{${pairs}}` : "") : `{${pairs ? `${pairs},` : ""}le="${le}"}`;
      if (kind === "sum") lines.push(`${metric}${at()} ${num(t.sum * scale)}`);
      else if (kind === "gauge") lines.push(`${metric}${at()} ${num(t.last * scale)}`);
      else {
        let cumulative = 0;
        let next = 0;
        for (let e = 0; e < EXPOSED_BOUNDS.length; e++) {
          for (; next <= EXPOSED_INDEX[e]; next++) cumulative += t.buckets![next];
          lines.push(`${base}_bucket${at(les[e])} ${cumulative}`);
        }
        lines.push(`${base}_bucket${at("+Inf")} ${t.count}`);
        lines.push(`${base}_sum${at()} ${num(t.sum * scale)}`);
        lines.push(`${base}_count${at()} ${t.count}`);
      }
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
