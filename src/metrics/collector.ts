import {
  type Clock,
  KilnError,
  type Logger,
  quote,
  silentLogger,
  systemClock,
} from "../core/mod.ts";
import { emptyAggregate, recordValue } from "./_aggregate.ts";
import { fixedMetric, isAppMetric, METRIC_CATALOGUE } from "./catalogue.ts";
import { renderPrometheus } from "./_prometheus.ts";
import { rangeQuery, scan, windowSummary } from "./_query.ts";
import { cleanLabels, type Series, seriesKey } from "./_series.ts";
import { HOUR, MetricStore, MINUTE } from "./_store.ts";
import type {
  MetricInfo,
  MetricKind,
  MetricLabels,
  MetricPointSummary,
  MetricQuery,
  MetricQueryResult,
  MetricSelector,
  MetricSink,
} from "./types.ts";

/** How long and how much the collector keeps; every bound is configurable. */
export interface MetricRetention {
  /** Minute rows older than this are folded into hour rows (default 48 h). */
  minuteMs?: number;
  /** Hour rows older than this are deleted (default 30 days). */
  hourMs?: number;
  /** Most stored rows; the oldest beyond it are deleted (default 1 000 000). */
  maxRows?: number;
  /** Most distinct series held in memory; points of new ones beyond it are dropped (default 10 000). */
  maxSeries?: number;
}

export interface MetricCollectorOptions {
  /** The SQLite file, e.g. `<dataDir>/metrics.db`; `":memory:"` for a throwaway one. */
  path: string;
  clock?: Clock;
  /** How often memory is written to SQLite (default 10 s); 0 = only on `flush()` and `close()`. */
  flushIntervalMs?: number;
  retention?: MetricRetention;
  logger?: Logger;
  /** The flush timer; default the global one, unref'd so it never keeps the process alive. */
  timers?: FlushTimers;
}

/** What the flush timer needs; `@sinonjs/fake-timers` clocks fit. */
export interface FlushTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
}

const systemTimers: FlushTimers = {
  setInterval(fn, ms) {
    const id = setInterval(fn, ms);
    Deno.unrefTimer(id);
    return id;
  },
  clearInterval: (id) => clearInterval(id as number),
};

const DROPPED = "kiln.metrics.dropped";
/** Unflushed finished minutes kept per series. */
const MAX_PENDING = 60;
const APP_DESCRIPTION = "Custom metric an app records through core.metrics.record";

/**
 * Kiln's metric collector (SPEC §9). The hot path only updates in-memory aggregates: the minute
 * being filled and an all-time total per series. A timer flushes finished and current minutes to
 * SQLite, where old minutes fold into hours and old hours expire (ADR 0010). Queries read stored
 * rows and unflushed memory together; Prometheus renders the all-time totals.
 */
export class MetricCollector implements MetricSink {
  readonly #store: MetricStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #keep: Required<MetricRetention>;
  readonly #series = new Map<string, Series>();
  readonly #dirty = new Set<Series>();
  /** Kinds of the `app.*` names seen, in memory or on disk. */
  readonly #appKinds = new Map<string, MetricKind>();
  readonly #timers: FlushTimers;
  #timer: unknown;
  #lastMaintenance = -Infinity;
  #closed = false;

  private constructor(store: MetricStore, opts: MetricCollectorOptions) {
    this.#store = store;
    this.#clock = opts.clock ?? systemClock;
    this.#log = (opts.logger ?? silentLogger).with({ component: "metrics" });
    this.#keep = {
      minuteMs: opts.retention?.minuteMs ?? 48 * HOUR,
      hourMs: opts.retention?.hourMs ?? 30 * 24 * HOUR,
      maxRows: opts.retention?.maxRows ?? 1_000_000,
      maxSeries: opts.retention?.maxSeries ?? 10_000,
    };
    for (const { name, kind } of store.names()) {
      if (isAppMetric(name)) this.#appKinds.set(name, kind);
    }
    this.#timers = opts.timers ?? systemTimers;
    const every = opts.flushIntervalMs ?? 10_000;
    if (every > 0) this.#timer = this.#timers.setInterval(() => this.#flushQuietly(), every);
  }

  /** Opens (creating if needed) the metric file and starts the flush timer. */
  static open(opts: MetricCollectorOptions): MetricCollector {
    return new MetricCollector(MetricStore.open(opts.path), opts);
  }

  add(name: string, value: number, labels: MetricLabels): void {
    this.#record("sum", name, value, labels);
  }

  gauge(name: string, value: number, labels: MetricLabels): void {
    this.#record("gauge", name, value, labels);
  }

  observe(name: string, value: number, labels: MetricLabels): void {
    this.#record("histogram", name, value, labels);
  }

  /** The kind `name` has (fixed, or the kind its first `app.*` point gave it), if known. */
  kindOf(name: string): MetricKind | undefined {
    return fixedMetric(name)?.kind ?? this.#appKinds.get(name);
  }

  /** Writes every in-memory minute to SQLite, then rolls up and trims when a minute has passed. */
  flush(): void {
    if (this.#closed) return;
    const items = [];
    for (const s of this.#dirty) {
      const base = { key: s.key, name: s.name, kind: s.kind, labels: s.labels };
      for (const p of s.pending) items.push({ ...base, t: p.t, agg: p.agg });
      if (s.current && s.current.count > 0) items.push({ ...base, t: s.minute, agg: s.current });
    }
    if (items.length) this.#store.writeMinutes(items);
    for (const s of this.#dirty) {
      s.pending = [];
      s.current = null;
      s.minute = -1;
    }
    this.#dirty.clear();
    const now = this.#clock.now();
    if (now - this.#lastMaintenance >= MINUTE) {
      this.#lastMaintenance = now;
      const k = this.#keep;
      const dropped = this.#store.maintain(now - k.minuteMs, now - k.hourMs, k.maxRows);
      if (dropped > 0) this.#drop("rows", dropped);
    }
  }

  query(q: MetricQuery): MetricQueryResult {
    const kind = this.#known(q.name);
    return rangeQuery(kind, q, (visit) => scan(this.#store, this.#series.values(), q, visit));
  }

  summary(q: MetricSelector): MetricPointSummary {
    const kind = this.#known(q.name);
    return windowSummary(kind, q, (visit) => scan(this.#store, this.#series.values(), q, visit));
  }

  /** The fixed catalogue plus every `app.*` name seen, sorted. */
  names(): MetricInfo[] {
    const apps = [...this.#appKinds].map(([name, kind]) => ({
      name,
      kind,
      description: APP_DESCRIPTION,
    }));
    return [...METRIC_CATALOGUE, ...apps.sort((a, b) => a.name.localeCompare(b.name))];
  }

  /** Totals since process start, in the Prometheus text exposition format 0.0.4. */
  prometheus(): string {
    return renderPrometheus(
      this.#series.values(),
      (name) => fixedMetric(name)?.description ?? APP_DESCRIPTION,
    );
  }

  /** Stops the timer, flushes, and closes the file; later points are ignored. */
  close(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#flushQuietly();
    this.#closed = true;
    this.#store.close();
  }

  #record(kind: MetricKind, name: string, value: number, labels: MetricLabels): void {
    if (this.#closed) return;
    if (!Number.isFinite(value) || (kind === "sum" && value < 0)) return this.#drop("value", 1);
    const key = seriesKey(name, labels);
    const s = this.#series.get(key) ?? this.#newSeries(key, kind, name, labels);
    if (s === null) return;
    if (s.kind !== kind) return this.#drop("kind", 1);
    const t = this.#clock.now();
    const minute = t - (t % MINUTE);
    if (minute !== s.minute) {
      if (s.current && s.current.count > 0) s.pending.push({ t: s.minute, agg: s.current });
      // Flushes failing for an hour: keep the latest hour of minutes, count the rest as dropped.
      if (s.pending.length > MAX_PENDING) this.#drop("rows", s.pending.splice(0, 1).length);
      s.current = emptyAggregate(kind);
      s.minute = minute;
    }
    recordValue(s.current!, value, t);
    recordValue(s.total, value, t);
    this.#dirty.add(s);
  }

  #newSeries(key: string, kind: MetricKind, name: string, labels: MetricLabels): Series | null {
    const fixed = fixedMetric(name);
    const known = fixed?.kind ?? this.#appKinds.get(name);
    if (!fixed && !isAppMetric(name)) return this.#drop("name", 1), null;
    if (known !== undefined && known !== kind) return this.#drop("kind", 1), null;
    if (this.#series.size >= this.#keep.maxSeries && name !== DROPPED) {
      return this.#drop("series", 1), null;
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

  #drop(kind: string, n: number): void {
    this.#record("sum", DROPPED, n, { kind });
  }

  #known(name: string): MetricKind {
    const kind = this.kindOf(name);
    if (!kind) throw new KilnError("METRIC_NOT_FOUND", `no metric named ${quote(name)}`);
    return kind;
  }

  #flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.#log.warn("metric flush failed", { error: String(err) });
    }
  }
}
