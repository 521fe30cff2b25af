import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin } from "../../auth/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { AppIdParam, bodyResponses, errorResponses, KeyCreateBody, ok } from "../_schemas.ts";

const TAG = ["keys"];

/** App API keys: minted once and shown once, stored as salted hashes in security_config.yaml. */
export function keyRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const { registry } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/keys",
      operationId: "createApiKey",
      tags: TAG,
      summary: "Create an API key; the key is in this answer only",
      request: {
        params: AppIdParam,
        body: { content: { "application/json": { schema: KeyCreateBody } } },
      },
      responses: {
        201: {
          description: "created",
          content: {
            "application/json": {
              schema: z.object({ keyId: z.string(), apiKey: z.string(), revision: z.string() }),
            },
          },
        },
        ...errorResponses,
        ...bodyResponses,
      },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      requireAdmin(c.var.principal);
      const body = c.req.valid("json") ?? {};
      return c.json(await registry.createApiKey(appId, body), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/keys",
      operationId: "listApiKeys",
      tags: TAG,
      summary: "List an app's API keys (ids and metadata, never hashes)",
      request: { params: AppIdParam },
      responses: {
        ...ok(z.object({ keys: z.array(z.record(z.string(), z.unknown())) })),
        ...errorResponses,
      },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requireAdmin(c.var.principal);
      return c.json({ keys: registry.getApplicationPermissions(appId).apiKeys }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/apps/{appId}/keys/{keyId}",
      operationId: "revokeApiKey",
      tags: TAG,
      summary: "Revoke an API key",
      request: { params: AppIdParam.extend({ keyId: z.string() }) },
      responses: { ...ok(z.object({ revision: z.string() })), ...errorResponses },
    }),
    async (c) => {
      const { appId, keyId } = c.req.valid("param");
      requireAdmin(c.var.principal);
      return c.json(await registry.revokeApiKey(appId, keyId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/auth/validate-key",
      operationId: "validateApiKey",
      tags: TAG,
      summary: "validateApiKey: which app and permissions a key carries",
      request: {
        body: {
          content: { "application/json": { schema: z.object({ apiKey: z.string() }) } },
          required: true,
        },
      },
      responses: {
        ...ok(z.object({
          isValid: z.boolean(),
          appId: z.string().optional(),
          keyId: z.string().optional(),
          permissions: z.array(z.string()).optional(),
        })),
        ...errorResponses,
        ...bodyResponses,
      },
    }),
    (c) => {
      requireAdmin(c.var.principal);
      return c.json(registry.validateApiKey(c.req.valid("json").apiKey), 200);
    },
  );
}
