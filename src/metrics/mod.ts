/** Kiln's metrics (contract §9): the sink everything pushes to and the collector behind it. */
export { MetricCollector } from "./collector.ts";
export type { MetricCollectorOptions } from "./collector.ts";
export { APP_METRIC, isAppMetric } from "./catalogue.ts";
export { PROMETHEUS_CONTENT_TYPE } from "./_prometheus.ts";
export { LABEL_KEYS, noMetrics } from "./types.ts";
export { MetricPoint } from "./metric_point.ts";
export type { MetricLabels, MetricPointSummary, MetricQueryResult, MetricSink } from "./types.ts";
export { resolveQuery } from "./query_input.ts";
