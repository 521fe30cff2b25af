import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { errorResponses, ok } from "../_schemas.ts";

const Node = z.object({
  nodeId: z.string(),
  url: z.string().describe("the URL other nodes reach it at"),
  startedAt: z.string(),
  lastSeenAt: z.string(),
  status: z.enum(["up", "suspect", "gone"]),
  apps: z.number().describe("apps it serves"),
  runs: z.number().describe("workflow runs it drives"),
  failedApps: z.array(z.object({ appId: z.string(), reason: z.string() }))
    .describe("apps this node cannot load (its own trouble; other nodes may serve them)"),
});
const Cluster = z.object({
  nodeId: z.string().describe("the node that answered"),
  nodes: z.array(Node),
}).openapi("Cluster");

/** `GET /v1/cluster` (admin): the nodes of the cluster this node belongs to. */
export function clusterRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/cluster",
      operationId: "getCluster",
      tags: ["cluster"],
      summary: "The cluster's nodes: status, apps served, runs driven",
      responses: { ...ok(Cluster), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.var.principal);
      if (!deps.cluster) {
        throw new KilnError("NOT_FOUND", "this node runs alone (start it with --cluster)");
      }
      return c.json(await deps.cluster.status(), 200);
    },
  );
}
