import { emptyAggregate, recordValue } from "./_aggregate.ts";
import { fixedMetric, isAppMetric } from "./catalogue.ts";
import { cleanLabels, type Series, seriesKey } from "./_series.ts";
import { MINUTE, type MinuteItem } from "./_store.ts";
import type { MetricKind, MetricLabels } from "./types.ts";

/** The self-metric every drop is counted in. */
export const DROPPED = "kiln.metrics.dropped";
/** Unflushed finished minutes kept per series: an hour of failing flushes. */
const MAX_PENDING = 60;

/**
 * Every series of this process, in memory: the hot path. Recording is a key build, a map lookup
 * and two aggregate updates; a new series is admitted only under `maxSeries`, with a known name
 * of the right kind. What is refused is counted in `kiln.metrics.dropped{kind}`, which is always
 * admitted (it has five label values at most).
 */
export class SeriesTable {
  readonly #series = new Map<string, Series>();
  readonly #dirty = new Set<Series>();
  /** Kinds of the `app.*` names seen, in memory or on disk. */
  readonly #appKinds = new Map<string, MetricKind>();

  constructor(readonly maxSeries: number, stored: Iterable<{ name: string; kind: MetricKind }>) {
    for (const { name, kind } of stored) if (isAppMetric(name)) this.#appKinds.set(name, kind);
  }

  record(kind: MetricKind, name: string, value: number, labels: MetricLabels, t: number): void {
    if (!Number.isFinite(value) || (kind === "sum" && value < 0)) return this.#drop("value", 1, t);
    const key = seriesKey(name, labels);
    const s = this.#series.get(key) ?? this.#admit(key, kind, name, labels, t);
    if (s === null) return;
    if (s.kind !== kind) return this.#drop("kind", 1, t);
    const minute = t - (t % MINUTE);
    if (minute !== s.minute) {
      if (s.current && s.current.count > 0) s.pending.push({ t: s.minute, agg: s.current });
      if (s.pending.length > MAX_PENDING) this.#drop("rows", s.pending.splice(0, 1).length, t);
      s.current = emptyAggregate(kind);
      s.minute = minute;
    }
    recordValue(s.current!, value, t);
    recordValue(s.total, value, t);
    this.#dirty.add(s);
  }

  /** The kind of `name`: fixed, or the kind its first `app.*` point gave it. */
  kindOf(name: string): MetricKind | undefined {
    return fixedMetric(name)?.kind ?? this.#appKinds.get(name);
  }

  /** The `app.*` names seen, with their kinds. */
  appNames(): [string, MetricKind][] {
    return [...this.#appKinds];
  }

  series(): IterableIterator<Series> {
    return this.#series.values();
  }

  /** Every unflushed minute; `clear` then forgets them, once they are stored. */
  drain(): { items: MinuteItem[]; clear: () => void } {
    const items: MinuteItem[] = [];
    for (const s of this.#dirty) {
      const base = { key: s.key, name: s.name, kind: s.kind, labels: s.labels };
      for (const p of s.pending) items.push({ ...base, t: p.t, agg: p.agg });
      if (s.current && s.current.count > 0) items.push({ ...base, t: s.minute, agg: s.current });
    }
    const drained = [...this.#dirty];
    return {
      items,
      clear: () => {
        for (const s of drained) {
          s.pending = [];
          s.current = null;
          s.minute = -1;
          this.#dirty.delete(s);
        }
      },
    };
  }

  /** Counts `n` dropped things of one kind (`series`, `rows`, `name`, `kind`, `value`). */
  drop(kind: string, n: number, t: number): void {
    this.#drop(kind, n, t);
  }

  #admit(key: string, kind: MetricKind, name: string, labels: MetricLabels, t: number) {
    const fixed = fixedMetric(name);
    if (!fixed && !isAppMetric(name)) return this.#drop("name", 1, t), null;
    const known = fixed?.kind ?? this.#appKinds.get(name);
    if (known !== undefined && known !== kind) return this.#drop("kind", 1, t), null;
    if (this.#series.size >= this.maxSeries && name !== DROPPED) {
      return this.#drop("series", 1, t), null;
    }
    if (!fixed) this.#appKinds.set(name, kind);
    const s: Series = {
      key,
      name,
      kind,
      labels: cleanLabels(labels),
      minute: -1,
      current: null,
      pending: [],
      total: emptyAggregate(kind),
    };
    this.#series.set(key, s);
    return s;
  }

  #drop(kind: string, n: number, t: number): void {
    this.record("sum", DROPPED, n, { kind }, t);
  }
}
