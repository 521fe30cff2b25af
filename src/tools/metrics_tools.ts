import { z } from "zod";
import { KilnError, quote } from "../core/mod.ts";
import {
  APP_METRIC,
  isAppMetric,
  LABEL_KEYS,
  type MetricLabels,
  MetricPoint,
  resolveQuery,
} from "../metrics/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import { APPENDS, appOf, type CoreToolDeps, defineTool, READ_ONLY } from "./_common.ts";

/** Most labels one recorded point may carry, and the longest value. */
export const MAX_RECORD_LABELS = 6;
export const MAX_RECORD_LABEL_LENGTH = 100;

const Kind = z.enum(["sum", "gauge", "histogram"]);
const LabelKey = z.enum(LABEL_KEYS);
const LabelValue = z.string().min(1).max(200);
const SeriesLabels = z.object(
  Object.fromEntries(LABEL_KEYS.map((k) => [k, z.string().optional()])) as Record<
    (typeof LABEL_KEYS)[number],
    z.ZodOptional<z.ZodString>
  >,
);
const CatalogueEntry = z.object({ name: z.string(), kind: Kind, description: z.string() });

function collector(deps: CoreToolDeps) {
  if (!deps.metrics) throw new KilnError("UNAVAILABLE", "this Kiln node has no metric collector");
  return deps.metrics;
}

/**
 * `core.metrics.*`: an app reads its own metrics and records custom `app.*` ones.
 * The appId always comes from the caller, never from the arguments.
 */
export function metricsTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.metrics.query",
      title: "Query the app's metrics",
      description: "A range query over one metric of the calling app: points every stepMs " +
        "(>= 60000; default about 120 points) from `from` to `to` (epoch ms; default the last " +
        "hour), one series per distinct groupBy labels. Points carry count, sum, min, max, avg, " +
        "p50/p95/p99 (histograms) and last (gauges).",
      scope: "app",
      permission: "metrics:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({
        name: z.string().min(1).max(200).describe("e.g. kiln.invocation.duration_ms"),
        componentId: z.string().min(1).max(200).optional(),
        labels: z.partialRecord(LabelKey, LabelValue).optional().describe("filters"),
        from: z.number().int().min(0).optional(),
        to: z.number().int().min(0).optional(),
        stepMs: z.number().int().min(60_000).optional(),
        groupBy: z.array(LabelKey).max(LABEL_KEYS.length).optional(),
      }),
      outputSchema: z.object({
        name: z.string(),
        kind: Kind,
        series: z.array(
          z.object({ labels: SeriesLabels, points: z.array(MetricPoint) }),
        ),
      }),
      handler: (input, ctx) => {
        const { appId: _ignored, ...labels } = (input.labels ?? {}) as MetricLabels;
        const m = collector(deps);
        const q = resolveQuery({ ...input, labels, appId: appOf(ctx) }, m.now());
        return Promise.resolve(m.query(q));
      },
    }),
    defineTool({
      name: "core.metrics.list",
      title: "List metric names",
      description: "The metric catalogue: Kiln's fixed names with their kinds and meaning, plus " +
        "every custom app.* name recorded so far.",
      scope: "app",
      permission: "metrics:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({}),
      outputSchema: z.object({ metrics: z.array(CatalogueEntry) }),
      handler: () => Promise.resolve({ metrics: collector(deps).names() }),
    }),
    defineTool({
      name: "core.metrics.record",
      title: "Record a custom metric",
      description: "Records one point of a custom metric named app.<name> (lowercase dotted " +
        "words): a sum adds a non-negative value, a gauge sets it, a histogram observes it. The " +
        "appId label is always the calling app; a name keeps the kind it was first recorded with.",
      scope: "app",
      permission: "metrics:write",
      annotations: APPENDS,
      inputSchema: z.strictObject({
        name: z.string().max(120).regex(APP_METRIC, "app.<lowercase dotted words>"),
        kind: Kind,
        value: z.number().refine(Number.isFinite, "must be finite"),
        labels: z.partialRecord(LabelKey, z.string().min(1).max(MAX_RECORD_LABEL_LENGTH))
          .optional()
          .refine((l) => !l || Object.keys(l).length <= MAX_RECORD_LABELS, {
            message: `at most ${MAX_RECORD_LABELS} labels`,
          }),
      }),
      outputSchema: z.object({ recorded: z.literal(true) }),
      handler: (input, ctx) => {
        const m = collector(deps);
        if (!isAppMetric(input.name)) {
          throw new KilnError("VALIDATION_ERROR", `${quote(input.name)} is not an app.* name`);
        }
        const known = m.kindOf(input.name);
        if (known && known !== input.kind) {
          throw new KilnError(
            "VALIDATION_ERROR",
            `${quote(input.name)} is a ${known}, not a ${input.kind}`,
          );
        }
        if (input.kind === "sum" && input.value < 0) {
          throw new KilnError("VALIDATION_ERROR", "a sum only grows: value must be >= 0");
        }
        const labels: MetricLabels = { ...input.labels, appId: appOf(ctx) };
        if (input.kind === "sum") m.add(input.name, input.value, labels);
        else if (input.kind === "gauge") m.gauge(input.name, input.value, labels);
        else m.observe(input.name, input.value, labels);
        return Promise.resolve({ recorded: true as const });
      },
    }),
  ];
}
