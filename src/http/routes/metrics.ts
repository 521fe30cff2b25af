import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin, requirePermission } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import {
  LABEL_KEYS,
  type MetricCollector,
  MetricPoint,
  PROMETHEUS_CONTENT_TYPE,
  resolveQuery,
} from "../../metrics/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { clusterQuery } from "../_cluster_query.ts";
import { errorResponses, ok } from "../_schemas.ts";

const TAG = ["metrics"];
const Kind = z.enum(["sum", "gauge", "histogram"]);
const Labels = z.object(Object.fromEntries(LABEL_KEYS.map((k) => [k, z.string().optional()])));
// Rebuilt with the OpenAPI-extended `z` (see `_schemas.ts`) to name it in the document.
const Point = z.object(MetricPoint.shape).openapi("MetricPoint");
const EpochMs = z.string().regex(/^\d{1,16}$/, "epoch milliseconds").transform(Number);

const QueryParams = z.object({
  name: z.string().min(1).max(200).openapi({ example: "kiln.invocation.duration_ms" }),
  appId: z.string().max(200).optional().describe("required for app keys: their own app"),
  componentId: z.string().max(200).optional(),
  from: EpochMs.optional().describe("epoch ms; default: an hour before `to`"),
  to: EpochMs.optional().describe("epoch ms; default: now"),
  stepMs: EpochMs.optional().describe(">= 60000; default: about 120 points"),
  groupBy: z.string().max(500).optional().describe("comma-separated label keys"),
  scope: z.enum(["node", "cluster"]).optional().describe(
    "cluster: every node that is up answers, each series names its node; default: this node",
  ),
  ...Object.fromEntries(
    LABEL_KEYS.filter((k) => k !== "appId" && k !== "componentId").map((k) => [
      k,
      z.string().max(200).optional().describe("filter on this label"),
    ]),
  ),
});

/**
 * Metrics: `GET /metrics` for Prometheus (admin bearer token), the catalogue and range
 * queries under `/v1/metrics` for the admin and for app keys with `metrics:read` on their app.
 */
export function metricRoutes(
  app: OpenAPIHono<KilnEnv>,
  metrics: Pick<MetricCollector, "query" | "names" | "prometheus" | "now">,
  deps: HttpDeps,
): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      operationId: "getPrometheusMetrics",
      tags: TAG,
      summary: "Totals since start, Prometheus text format 0.0.4 (admin token)",
      responses: {
        200: { description: "OK", content: { "text/plain": { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    (c) => {
      requireAdmin(deps.auth.authenticate(c.req.header("authorization")));
      return c.text(metrics.prometheus(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/metrics",
      operationId: "listMetrics",
      tags: TAG,
      summary: "The metric catalogue: fixed names plus the app.* names seen",
      responses: {
        ...ok(z.object({
          metrics: z.array(z.object({ name: z.string(), kind: Kind, description: z.string() })),
        })),
        ...errorResponses,
      },
    }),
    (c) => {
      const p = c.var.principal;
      if (p.kind !== "admin") requirePermission(p, p.appId, "metrics:read");
      return c.json({ metrics: metrics.names() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/metrics/query",
      operationId: "queryMetric",
      tags: TAG,
      summary: "A range query: points per step, one series per groupBy labels",
      request: { query: QueryParams },
      responses: {
        ...ok(
          z.object({
            name: z.string(),
            kind: Kind,
            series: z.array(
              z.object({ labels: Labels, node: z.string().optional(), points: z.array(Point) }),
            ),
            nodes: z.array(z.object({
              nodeId: z.string(),
              ok: z.boolean(),
              error: z.string().optional(),
            })).optional().describe("scope=cluster: which nodes answered"),
          }).openapi("MetricQueryResult"),
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid("query") as z.output<typeof QueryParams> & Record<string, unknown>;
      const p = c.var.principal;
      if (p.kind !== "admin") {
        if (q.appId === undefined) {
          throw new KilnError("BAD_REQUEST", "an app key must name its app: appId is required");
        }
        requirePermission(p, q.appId, "metrics:read");
      }
      const labels: Record<string, string> = {};
      for (const k of LABEL_KEYS) {
        const v = q[k];
        if (k !== "appId" && k !== "componentId" && typeof v === "string") labels[k] = v;
      }
      const groupBy = q.groupBy?.split(",").map((s) => s.trim()).filter(Boolean);
      const query = resolveQuery({ ...q, groupBy, labels }, metrics.now());
      const local = metrics.query(query);
      if (q.scope !== "cluster" || !deps.cluster) return c.json(local, 200);
      return c.json(await clusterQuery(deps.cluster, local, c.req.raw), 200);
    },
  );
}
