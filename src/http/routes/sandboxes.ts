import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { errorResponses, ok, unavailableResponse } from "../_schemas.ts";

const Stats = z.object({
  live: z.number(),
  busy: z.number(),
  queued: z.number(),
  kills: z.record(z.string(), z.number()),
});
const Tier = z.object({
  tier: z.enum(["isolate", "wasm", "container"]),
  available: z.boolean(),
  reason: z.string().optional(),
  stats: Stats.optional(),
});
const Pool = z.object({
  appId: z.string(),
  poolName: z.string(),
  image: z.string(),
  minInstances: z.number(),
  maxInstances: z.number(),
  stats: z.record(z.string(), z.number()),
  containers: z.array(z.object({
    name: z.string(),
    state: z.enum(["idle", "busy"]),
    ageMs: z.number(),
    executions: z.number(),
  })),
});
const IsolateHost = z.object({
  key: z.string().describe("the app (and heap class) the host process serves"),
  alive: z.boolean(),
  pid: z.number().nullable(),
  heapMb: z.number(),
  workers: z.number(),
  busy: z.number(),
  maxWorkers: z.number(),
  cpuMs: z.number().nullable().describe(
    "CPU time the host process has used so far, every thread of it (null where unreadable)",
  ),
  cpuGroup: z.string().nullable().describe(
    "the cgroup (cpu controller) the app's hosts share, or null where Kiln makes none",
  ),
});
const ComponentHost = z.object({
  appId: z.string(),
  alive: z.boolean(),
  pid: z.number().nullable(),
  workers: z.number().describe("component workers in the host (one per component in use)"),
  busy: z.number(),
  cpuMs: z.number().nullable().describe(
    "CPU time the host process has used so far, every thread of it (null where unreadable)",
  ),
  cpuGroup: z.string().nullable().describe(
    "the cgroup (cpu controller) the app's hosts share, or null where Kiln makes none",
  ),
});
const Overview = z.object({
  tiers: z.array(Tier),
  pools: z.array(Pool),
  isolateHosts: z.array(IsolateHost),
  componentHosts: z.array(ComponentHost),
}).openapi("Sandboxes");

/**
 * `GET /v1/sandboxes` (admin): each tier's availability and counters and the container pools
 * with their containers, so operators (and the admin panel) see capacity without Docker access.
 */
export function sandboxRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/sandboxes",
      operationId: "getSandboxes",
      tags: ["sandboxes"],
      summary: "Sandbox tiers, their counters, and the container pools",
      responses: { ...ok(Overview), ...errorResponses, ...unavailableResponse },
    }),
    (c) => {
      requireAdmin(c.var.principal);
      if (!deps.sandboxes) throw new KilnError("UNAVAILABLE", "no sandbox manager on this node");
      return c.json(deps.sandboxes(), 200);
    },
  );
}
