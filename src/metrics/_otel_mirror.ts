/**
 * Kiln's metrics over OTLP too: under `OTEL_DENO=true` every push to the collector is mirrored
 * into an OpenTelemetry meter, which Deno exports. Names stay the recorded dotted ones, except
 * that `*_ms` histograms become `*` in seconds (unit `s`, as OTel's semantic conventions and
 * Prometheus want); label keys are the Prometheus ones (`app_id`), so a Collector's Prometheus
 * exporter yields the same series as `/metrics`. Gauges are observable: read at each collection,
 * after `refresh` has set the ones measured live.
 */
import type { Attributes, Counter, Histogram, Meter } from "@opentelemetry/api";
import { EXPOSED_BOUNDS, promLabel } from "./_prometheus.ts";
import type { MetricLabels } from "./types.ts";

const SECONDS_BOUNDS = EXPOSED_BOUNDS.map((ms) => ms / 1000);

function attributesOf(labels: MetricLabels): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[promLabel(k)] = v;
  return out;
}

/** The OTel name and scale of a recorded metric name. */
export function otelName(name: string): { name: string; unit: string; scale: number } {
  return name.endsWith("_ms")
    ? { name: name.slice(0, -3), unit: "s", scale: 1 / 1000 }
    : { name, unit: "", scale: 1 };
}

export class OtelMirror {
  readonly #meter: Meter;
  readonly #refresh: () => void;
  readonly #counters = new Map<string, Counter>();
  readonly #histograms = new Map<string, Histogram>();
  /** Last value per gauge name and label set (keyed by the attributes' JSON). */
  readonly #gauges = new Map<string, Map<string, { value: number; attributes: Attributes }>>();

  /** `refresh` sets the live gauges (sandbox instances) right before a collection reads them. */
  constructor(meter: Meter, refresh: () => void = () => {}) {
    this.#meter = meter;
    this.#refresh = refresh;
  }

  add(name: string, value: number, labels: MetricLabels): void {
    let counter = this.#counters.get(name);
    if (!counter) {
      counter = this.#meter.createCounter(name);
      this.#counters.set(name, counter);
    }
    if (value >= 0) counter.add(value, attributesOf(labels));
  }

  observe(name: string, value: number, labels: MetricLabels): void {
    const o = otelName(name);
    let histogram = this.#histograms.get(name);
    if (!histogram) {
      histogram = this.#meter.createHistogram(o.name, {
        unit: o.unit,
        ...(o.unit === "s" ? { advice: { explicitBucketBoundaries: SECONDS_BOUNDS } } : {}),
      });
      this.#histograms.set(name, histogram);
    }
    histogram.record(value * o.scale, attributesOf(labels));
  }

  gauge(name: string, value: number, labels: MetricLabels): void {
    let series = this.#gauges.get(name);
    if (!series) {
      series = new Map();
      this.#gauges.set(name, series);
      const gauge = this.#meter.createObservableGauge(name);
      const read = series;
      gauge.addCallback((result) => {
        this.#refresh();
        for (const { value, attributes } of read.values()) result.observe(value, attributes);
      });
    }
    const attributes = attributesOf(labels);
    series.set(JSON.stringify(attributes), { value, attributes });
  }
}
