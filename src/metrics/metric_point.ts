import { z } from "zod";

const Num = z.number().nullable();

/**
 * One aggregate: a bucket of a range query, or the whole window of `summary()`. The one schema
 * of a point on every wire that answers metrics (`/v1/metrics/query`, `core.metrics.query`).
 */
export const MetricPoint = z.object({
  /** Bucket start (epoch ms); for `summary()`: `from`. */
  t: z.number(),
  /** Observations (histogram), sets (gauge) or number of adds (sum). */
  count: z.number(),
  /** Sum of values. */
  sum: z.number(),
  min: Num,
  max: Num,
  avg: Num,
  /** Histograms only, interpolated within the fixed buckets. */
  p50: Num,
  p95: Num,
  p99: Num,
  /** Gauges: the latest value in the window. */
  last: Num,
});
