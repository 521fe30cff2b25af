/**
 * The metric model of contract §9: OTLP-shaped points (sum, gauge, histogram) with a fixed set of
 * labels. Everything that measures Kiln pushes through `MetricSink`, so the router, the sandboxes,
 * MCP and the LLM gateway never depend on how metrics are stored.
 */
import type { z } from "zod";
import type { MetricPoint } from "./metric_point.ts";

/** A sum is a monotonic counter; a gauge keeps its last value; a histogram keeps a distribution. */
export type MetricKind = "sum" | "gauge" | "histogram";

/** Contract §9 labels plus a few fixed extra ones. Absent label = not set. */
export interface MetricLabels {
  appId?: string;
  componentId?: string;
  sandboxId?: string;
  handlerType?: string;
  poolName?: string;
  tier?: string;
  outcome?: string;
  tool?: string;
  model?: string;
  provenance?: string;
  kind?: string;
  servedBy?: string;
}

/** Every label key, sorted: a series is its name plus its labels in this order. */
export const LABEL_KEYS = [
  "appId",
  "componentId",
  "handlerType",
  "kind",
  "model",
  "outcome",
  "poolName",
  "provenance",
  "sandboxId",
  "servedBy",
  "tier",
  "tool",
] as const satisfies readonly (keyof MetricLabels)[];

/** What the router, sandboxes, MCP and the LLM gateway push to. Cheap, synchronous, never throws. */
export interface MetricSink {
  /** Adds to a sum (a monotonic counter). */
  add(name: string, value: number, labels: MetricLabels): void;
  /** Sets a gauge to its current value. */
  gauge(name: string, value: number, labels: MetricLabels): void;
  /** Records one observation of a histogram. */
  observe(name: string, value: number, labels: MetricLabels): void;
}

/** A sink that does nothing: the default wherever metrics are optional. */
export const noMetrics: MetricSink = Object.freeze({
  add() {},
  gauge() {},
  observe() {},
});

/** One aggregate: a bucket of a range query, or the whole window of `summary()`. */
export type MetricPointSummary = z.infer<typeof MetricPoint>;

/** Which series a query reads: one name, narrowed by labels (appId and componentId included). */
export interface MetricSelector {
  name: string;
  appId?: string;
  componentId?: string;
  labels?: MetricLabels;
  from: number;
  to: number;
}

/** A range query: points every `stepMs` (>= 60 000), one series per distinct `groupBy` labels. */
export interface MetricQuery extends MetricSelector {
  stepMs?: number;
  groupBy?: (keyof MetricLabels)[];
}

/** What `query()` answers. */
export interface MetricQueryResult {
  name: string;
  kind: MetricKind;
  series: { labels: MetricLabels; points: MetricPointSummary[] }[];
}

/** A catalogue entry. */
export interface MetricInfo {
  name: string;
  kind: MetricKind;
  description: string;
}
