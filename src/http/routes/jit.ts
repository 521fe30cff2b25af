import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import { eventStream, type SseEvent } from "../_event_stream.ts";
import { authorOf, requireAdmin, requirePermission } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import { GlobalOptimizationRule } from "../../models/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import {
  AppIdParam,
  bodyResponses,
  conflictResponse,
  errorResponses,
  ok,
  unavailableResponse,
} from "../_schemas.ts";

const TAG = ["jit"];
type RouteRequest = NonNullable<RouteConfig["request"]>;
const ComponentParams = AppIdParam.extend({ componentId: z.string().min(1).max(64) });
const GenerationParams = AppIdParam.extend({ generationId: z.string().min(1).max(64) });
const Any = z.record(z.string(), z.unknown());
const json = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: false },
});

/**
 * The JIT loop over HTTP (contract §9): component status, manual generation with progress
 * over SSE, promote, rollback, the audit log, recommendations, global rules and an on-demand
 * oracle pass. App keys need `jit:read` / `jit:write` for their own app; rules are admin-only.
 */
export function jitRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const service = async () => {
    const loaded = deps.jitService ?? (await deps.load?.jit())?.service;
    if (!loaded) throw new KilnError("UNAVAILABLE", "the JIT loop is not running");
    return loaded;
  };
  const guard = (c: { var: KilnEnv["Variables"] }, appId: string, perm: string) => {
    requirePermission(c.var.principal, appId, perm);
    deps.registry.getApplicationStatus(appId);
  };
  const route = <const M extends "get" | "post" | "put", const R extends RouteRequest>(
    method: M,
    path: string,
    operationId: string,
    summary: string,
    request: R,
    hide = false,
  ) =>
    createRoute({
      method,
      path,
      operationId,
      tags: TAG,
      summary,
      request,
      hide,
      responses: {
        ...ok(Any),
        ...errorResponses,
        ...(request.body ? bodyResponses : {}),
        ...(method === "get" ? {} : conflictResponse),
        ...unavailableResponse,
      },
    });

  app.openapi(
    route("get", "/v1/apps/{appId}/jit", "listJitComponents", "JIT status of every llm component", {
      params: AppIdParam,
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      guard(c, appId, "jit:read");
      return c.json({ components: await (await service()).list(appId) }, 200);
    },
  );

  app.openapi(
    route(
      "get",
      "/v1/apps/{appId}/jit/{componentId}",
      "getJitStatus",
      "JIT status of one component",
      {
        params: ComponentParams,
      },
    ),
    async (c) => {
      const { appId, componentId } = c.req.valid("param");
      guard(c, appId, "jit:read");
      return c.json(
        await (await service()).status(appId, componentId) as unknown as Record<string, unknown>,
        200,
      );
    },
  );

  app.openapi(
    route(
      "get",
      "/v1/apps/{appId}/jit/{componentId}/samples",
      "listJitSamples",
      "Recorded input/output pairs",
      {
        params: ComponentParams,
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      },
    ),
    async (c) => {
      const { appId, componentId } = c.req.valid("param");
      guard(c, appId, "jit:read");
      const all = await (await service()).samples.list(appId, componentId);
      return c.json({
        total: all.length,
        samples: all.slice(-c.req.valid("query").limit).reverse(),
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/jit/{componentId}/generate",
      operationId: "startJitGeneration",
      tags: TAG,
      summary: "Start a JIT generation (manual trigger); follow it with its events",
      request: {
        params: ComponentParams,
        ...json(z.object({ reason: z.string().max(500).optional() })),
      },
      responses: {
        202: ok(Any, "started: the generation, status running")[200],
        ...errorResponses,
        ...bodyResponses,
        ...conflictResponse,
        ...unavailableResponse,
      },
    }),
    async (c) => {
      const { appId, componentId } = c.req.valid("param");
      guard(c, appId, "jit:write");
      const body: { reason?: string } = c.req.valid("json") ?? {};
      const gen = await (await service()).generate(appId, componentId, {
        trigger: "manual",
        actor: authorOf(c.var.principal),
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return c.json(gen as unknown as Record<string, unknown>, 202);
    },
  );

  app.openapi(
    route(
      "post",
      "/v1/apps/{appId}/jit/{componentId}/promote",
      "promoteJitVersion",
      "Switch to a generated version",
      {
        params: ComponentParams,
        body: {
          content: {
            "application/json": { schema: z.object({ version: z.string().regex(/^v\d+$/) }) },
          },
          required: true,
        },
      },
    ),
    async (c) => {
      const { appId, componentId } = c.req.valid("param");
      guard(c, appId, "jit:write");
      const { version } = c.req.valid("json");
      const status = await (await service()).promote(
        appId,
        componentId,
        version,
        authorOf(c.var.principal),
      );
      return c.json(status as unknown as Record<string, unknown>, 200);
    },
  );

  app.openapi(
    route(
      "post",
      "/v1/apps/{appId}/jit/{componentId}/rollback",
      "rollbackJit",
      "Put the component back on the LLM",
      {
        params: ComponentParams,
        ...json(z.object({ reason: z.string().max(500).optional() })),
      },
    ),
    async (c) => {
      const { appId, componentId } = c.req.valid("param");
      guard(c, appId, "jit:write");
      const body: { reason?: string } = c.req.valid("json") ?? {};
      const status = await (await service()).rollback(
        appId,
        componentId,
        body.reason || "rolled back by an operator",
        authorOf(c.var.principal),
      );
      return c.json(status as unknown as Record<string, unknown>, 200);
    },
  );

  // Generations live beside the audit log, not under /jit/{componentId}, so no path template
  // overlaps another; the first path stays served (undocumented) for clients that know it.
  for (
    const [path, hide] of [
      ["/v1/apps/{appId}/optimization/generations/{generationId}", false],
      ["/v1/apps/{appId}/jit/generations/{generationId}", true],
    ] as const
  ) {
    app.openapi(
      route(
        "get",
        path,
        hide ? "getJitGenerationLegacy" : "getJitGeneration",
        "One generation with its events and report",
        { params: GenerationParams },
        hide,
      ),
      async (c) => {
        const { appId, generationId } = c.req.valid("param");
        guard(c, appId, "jit:read");
        return c.json(
          await (await service()).generation(appId, generationId) as unknown as Record<
            string,
            unknown
          >,
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: `${path}/events`,
        operationId: hide ? "streamJitGenerationEventsLegacy" : "streamJitGenerationEvents",
        hide,
        tags: TAG,
        summary: "A generation's progress (server-sent events): `progress` events, then `done`",
        request: { params: GenerationParams },
        responses: {
          200: {
            description: "`progress` events (JitProgressEvent) and a final `done` (JitGeneration)",
            content: { "text/event-stream": { schema: z.string() } },
          },
          ...errorResponses,
          ...unavailableResponse,
        },
      }),
      async (c) => {
        const { appId, generationId } = c.req.valid("param");
        guard(c, appId, "jit:read");
        const jit = await service();
        const seen = new Set<string>();
        const progress = (e: unknown): SseEvent | null => {
          const key = JSON.stringify(e);
          if (seen.has(key)) return null;
          seen.add(key);
          return { event: "progress", data: e };
        };
        // deno-lint-ignore no-explicit-any -- an SSE response is not the route's JSON type
        return await eventStream<{ phase: string; generation?: unknown }>(c as any, {
          subscribe: (listener) => jit.subscribe(generationId, listener),
          backlog: async () => {
            const gen = await jit.generation(appId, generationId);
            const events = gen.events.map(progress).filter((e) => e !== null);
            return gen.status === "running"
              ? events
              : [...events, { event: "done", data: gen, end: true }];
          },
          live: (e) =>
            e.phase === "end" ? { event: "done", data: e.generation, end: true } : progress(e),
        });
      },
    );
  }

  app.openapi(
    route(
      "get",
      "/v1/apps/{appId}/optimization/audit",
      "getOptimizationAudit",
      "The audit log of JIT decisions, newest first",
      {
        params: AppIdParam,
        query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      },
    ),
    async (c) => {
      const { appId } = c.req.valid("param");
      guard(c, appId, "jit:read");
      return c.json(
        { entries: await (await service()).audit(appId, c.req.valid("query").limit) },
        200,
      );
    },
  );

  app.openapi(
    route(
      "get",
      "/v1/apps/{appId}/optimization/recommendations",
      "getOptimizationRecommendations",
      "The oracle's current recommendations",
      { params: AppIdParam },
    ),
    async (c) => {
      const { appId } = c.req.valid("param");
      guard(c, appId, "jit:read");
      return c.json(
        { recommendations: await (await service()).records.recommendations(appId) },
        200,
      );
    },
  );

  app.openapi(
    route(
      "get",
      "/v1/optimization/rules",
      "getOptimizationRules",
      "The global optimization rules",
      {},
    ),
    async (c) => {
      requireAdmin(c.var.principal);
      return c.json({ rules: (await oracle()).globalRules }, 200);
    },
  );

  app.openapi(
    route(
      "put",
      "/v1/optimization/rules",
      "setOptimizationRules",
      "Replace the global optimization rules",
      {
        body: {
          content: {
            "application/json": { schema: z.object({ rules: z.array(GlobalOptimizationRule) }) },
          },
          required: true,
        },
      },
    ),
    async (c) => {
      requireAdmin(c.var.principal);
      await (await oracle()).setGlobalRules(c.req.valid("json").rules);
      return c.json({ rules: (await oracle()).globalRules }, 200);
    },
  );

  app.openapi(
    route("post", "/v1/optimization/evaluate", "evaluateOptimization", "Run the oracle now", {
      ...json(z.object({ appId: z.string().optional() })),
    }),
    async (c) => {
      const body: { appId?: string } = c.req.valid("json") ?? {};
      if (body.appId) guard(c, body.appId, "jit:write");
      else requireAdmin(c.var.principal);
      const decisions = await (await oracle()).evaluate({
        ...(body.appId ? { appId: body.appId } : {}),
        actor: authorOf(c.var.principal),
      });
      return c.json({ decisions }, 200);
    },
  );

  async function oracle() {
    const loaded = deps.oracle ?? (await deps.load?.jit())?.oracle;
    if (!loaded) {
      throw new KilnError("UNAVAILABLE", "the optimization oracle is not running");
    }
    return loaded;
  }
}
