/** Kiln's metrics (SPEC §9): the sink everything pushes to and the collector behind it. */
export { MetricCollector } from "./collector.ts";
export type { FlushTimers, MetricCollectorOptions, MetricRetention } from "./collector.ts";
export { APP_METRIC, fixedMetric, isAppMetric, METRIC_CATALOGUE } from "./catalogue.ts";
export { BUCKET_BOUNDS } from "./_histogram.ts";
export { MAX_LABEL_VALUE } from "./_series.ts";
export { PROMETHEUS_CONTENT_TYPE } from "./_prometheus.ts";
export { LABEL_KEYS, noMetrics } from "./types.ts";
export { MetricPoint } from "./metric_point.ts";
export type {
  MetricInfo,
  MetricKind,
  MetricLabels,
  MetricPointSummary,
  MetricQuery,
  MetricQueryResult,
  MetricSelector,
  MetricSink,
} from "./types.ts";
export { isLabelKey, resolveQuery } from "./query_input.ts";
export type { QueryInput } from "./query_input.ts";
