import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requirePermission } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import type { JsonValue } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import {
  AppIdParam,
  bodyResponses,
  errorResponses,
  ok,
  RuntimeKeyParams,
  RuntimeSetBody,
} from "../_schemas.ts";

const TAG = ["runtime"];

/** Runtime state routes (contract §3): JSON values per app, with TTL and atomic increments. */
export function runtimeRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const runtime = deps.state.runtime;
  const guard = (c: { var: KilnEnv["Variables"] }, appId: string, perm: string) => {
    requirePermission(c.var.principal, appId, perm);
    deps.registry.getApplicationStatus(appId);
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/runtime",
      operationId: "listRuntimeKeys",
      tags: TAG,
      summary: "List runtime keys",
      request: { params: AppIdParam, query: z.object({ prefix: z.string().optional() }) },
      responses: { ...ok(z.object({ keys: z.array(z.string()) })), ...errorResponses },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      guard(c, appId, "runtime:read");
      return c.json(
        { keys: await runtime.listRuntimeKeys(appId, c.req.valid("query").prefix) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/runtime/{key}",
      operationId: "getRuntimeValue",
      tags: TAG,
      summary: "getRuntimeValue",
      request: { params: RuntimeKeyParams },
      responses: {
        ...ok(z.object({ found: z.boolean(), value: z.unknown().optional() })),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { appId, key } = c.req.valid("param");
      guard(c, appId, "runtime:read");
      return c.json(await runtime.getRuntimeValue(appId, key), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/apps/{appId}/runtime/{key}",
      operationId: "setRuntimeValue",
      tags: TAG,
      summary: "setRuntimeValue",
      request: {
        params: RuntimeKeyParams,
        body: { content: { "application/json": { schema: RuntimeSetBody } }, required: true },
      },
      responses: {
        ...ok(z.object({ success: z.literal(true) })),
        ...errorResponses,
        ...bodyResponses,
      },
    }),
    async (c) => {
      const { appId, key } = c.req.valid("param");
      guard(c, appId, "runtime:write");
      const body = c.req.valid("json");
      if (!("value" in body)) throw new KilnError("VALIDATION_ERROR", "the body needs a value");
      await runtime.setRuntimeValue(appId, key, body.value as JsonValue, body.ttlSeconds);
      return c.json({ success: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/apps/{appId}/runtime/{key}",
      operationId: "deleteRuntimeValue",
      tags: TAG,
      summary: "deleteRuntimeValue",
      request: { params: RuntimeKeyParams },
      responses: { ...ok(z.object({ deleted: z.boolean() })), ...errorResponses },
    }),
    async (c) => {
      const { appId, key } = c.req.valid("param");
      guard(c, appId, "runtime:write");
      return c.json(await runtime.deleteRuntimeValue(appId, key), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/runtime/{key}/increment",
      operationId: "incrementRuntimeValue",
      tags: TAG,
      summary: "incrementRuntimeValue (atomic)",
      request: {
        params: RuntimeKeyParams,
        body: {
          content: {
            "application/json": {
              schema: z.object({
                by: z.number().default(1),
                ttlSeconds: z.number().positive().optional(),
              }),
            },
          },
        },
      },
      responses: { ...ok(z.object({ value: z.number() })), ...errorResponses, ...bodyResponses },
    }),
    async (c) => {
      const { appId, key } = c.req.valid("param");
      guard(c, appId, "runtime:write");
      const body = c.req.valid("json") ?? { by: 1 };
      return c.json(
        await runtime.incrementRuntimeValue(appId, key, body.by ?? 1, body.ttlSeconds),
        200,
      );
    },
  );
}
