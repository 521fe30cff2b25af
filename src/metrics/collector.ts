import {
  type Clock,
  isTracing,
  KilnError,
  type Logger,
  otelMeter,
  quote,
  silentLogger,
  systemClock,
} from "../core/mod.ts";
import { OtelMirror } from "./_otel_mirror.ts";
import { fixedMetric, METRIC_CATALOGUE } from "./catalogue.ts";
import {
  type FlushTimers,
  type MetricCollectorOptions,
  type MetricRetention,
  retentionOf,
  systemTimers,
} from "./_options.ts";
import { renderProcessMetrics } from "./_process.ts";
import { renderPrometheus } from "./_prometheus.ts";
import { rangeQuery, scan, windowSummary } from "./_query.ts";
import { SeriesTable } from "./_series_table.ts";
import { MetricStore, MINUTE } from "./_store.ts";
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

export type { FlushTimers, MetricCollectorOptions, MetricRetention };

const APP_DESCRIPTION = "Custom metric an app records through core.metrics.record";

/**
 * Kiln's metric collector (contract §9). The hot path only updates in-memory aggregates: the minute
 * being filled and an all-time total per series. A timer flushes finished and current minutes to
 * SQLite, where old minutes fold into hours and old hours expire (ADR 0010). Queries read stored
 * rows and unflushed memory together; Prometheus renders the all-time totals.
 */
export class MetricCollector implements MetricSink {
  readonly #store: MetricStore;
  readonly #table: SeriesTable;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #keep: Required<MetricRetention>;
  readonly #timers: FlushTimers;
  readonly #node: string | undefined;
  readonly #readLive: MetricCollectorOptions["readLive"];
  /** Under `OTEL_DENO=true`, each push is also recorded into the OTel meter Deno exports. */
  readonly #otel: OtelMirror | undefined;
  #timer: unknown;
  #lastMaintenance = -Infinity;
  #closed = false;

  private constructor(store: MetricStore, opts: MetricCollectorOptions) {
    this.#store = store;
    this.#clock = opts.clock ?? systemClock;
    this.#log = (opts.logger ?? silentLogger).with({ component: "metrics" });
    this.#keep = retentionOf(opts.retention);
    this.#table = new SeriesTable(this.#keep.maxSeries, store.names());
    this.#timers = opts.timers ?? systemTimers;
    this.#node = opts.node;
    this.#readLive = opts.readLive;
    this.#otel = isTracing ? new OtelMirror(otelMeter(), () => this.#live()) : undefined;
    const every = opts.flushIntervalMs ?? 10_000;
    if (every > 0) this.#timer = this.#timers.setInterval(() => this.#flushQuietly(), every);
  }

  /** Opens (creating if needed) the metric file and starts the flush timer. */
  static open(opts: MetricCollectorOptions): MetricCollector {
    return new MetricCollector(MetricStore.open(opts.path), opts);
  }

  add(name: string, value: number, labels: MetricLabels): void {
    if (this.#closed) return;
    this.#table.record("sum", name, value, labels, this.#clock.now());
    this.#otel?.add(name, value, labels);
  }

  gauge(name: string, value: number, labels: MetricLabels): void {
    if (this.#closed) return;
    this.#table.record("gauge", name, value, labels, this.#clock.now());
    this.#otel?.gauge(name, value, labels);
  }

  observe(name: string, value: number, labels: MetricLabels): void {
    if (this.#closed) return;
    this.#table.record("histogram", name, value, labels, this.#clock.now());
    this.#otel?.observe(name, value, labels);
  }

  /** Now on the collector's clock: what default query windows end at. */
  now(): number {
    return this.#clock.now();
  }

  /** The kind `name` has (fixed, or the kind its first `app.*` point gave it), if known. */
  kindOf(name: string): MetricKind | undefined {
    return this.#table.kindOf(name);
  }

  /** Writes every in-memory minute to SQLite, then rolls up and trims when a minute has passed. */
  flush(): void {
    if (this.#closed) return;
    const { items, clear } = this.#table.drain();
    if (items.length) this.#store.writeMinutes(items);
    clear();
    const now = this.#clock.now();
    if (now - this.#lastMaintenance < MINUTE) return;
    this.#lastMaintenance = now;
    const k = this.#keep;
    const dropped = this.#store.maintain(now - k.minuteMs, now - k.hourMs, k.maxRows);
    if (dropped > 0) this.#table.drop("rows", dropped, now);
  }

  query(q: MetricQuery): MetricQueryResult {
    const kind = this.#known(q.name);
    return rangeQuery(kind, q, (visit) => scan(this.#store, this.#table.series(), q, visit));
  }

  summary(q: MetricSelector): MetricPointSummary {
    const kind = this.#known(q.name);
    return windowSummary(kind, q, (visit) => scan(this.#store, this.#table.series(), q, visit));
  }

  /** The fixed catalogue plus every `app.*` name seen, sorted. */
  names(): MetricInfo[] {
    const apps = this.#table.appNames().sort(([a], [b]) => a.localeCompare(b));
    return [
      ...METRIC_CATALOGUE,
      ...apps.map(([name, kind]) => ({ name, kind, description: APP_DESCRIPTION })),
    ];
  }

  /**
   * Totals since process start, in the Prometheus text exposition format 0.0.4, followed by
   * `kiln_build_info` and the process metrics (docs/metrics.md maps names and units).
   */
  prometheus(): string {
    this.#live();
    return renderPrometheus(
      this.#table.series(),
      (name) => fixedMetric(name)?.description ?? APP_DESCRIPTION,
      this.#node,
    ) + renderProcessMetrics(this.#node);
  }

  /** Stops the timer, flushes, and closes the file; later points are ignored. */
  close(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#flushQuietly();
    this.#closed = true;
    this.#store.close();
  }

  /** Reads the live gauges now; a reader that fails leaves the last values. */
  #live(): void {
    if (!this.#readLive || this.#closed) return;
    try {
      this.#readLive(this);
    } catch (err) {
      this.#log.warn("live gauge read failed", { error: String(err) });
    }
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
