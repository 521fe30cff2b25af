import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { MAX_EXECUTION_TTL_SECONDS, requireAdmin } from "../../auth/mod.ts";
import { KilnError, quote } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { AppIdParam, bodyResponses, errorResponses, unavailableResponse } from "../_schemas.ts";

const MintBody = z.object({
  componentId: z.string().min(1).max(64),
  ttlSeconds: z.number().int().min(1).max(MAX_EXECUTION_TTL_SECONDS).optional()
    .describe("default 300"),
});

const Minted = z.object({
  token: z.string(),
  expiresAt: z.string().describe("ISO 8601"),
  appId: z.string(),
  componentId: z.string(),
  tools: z.array(z.string()),
}).openapi("ExecutionToken");

/**
 * Minting execution tokens by hand, until the router mints one per execution: a short-lived
 * token for one component that allows exactly the MCP tools in its `permissions`.
 */
export function tokenRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/execution-tokens",
      operationId: "createExecutionToken",
      tags: ["keys"],
      summary: "Mint an execution token for a component (its permissions become the tools)",
      request: {
        params: AppIdParam,
        body: { content: { "application/json": { schema: MintBody } }, required: true },
      },
      responses: {
        201: { description: "minted", content: { "application/json": { schema: Minted } } },
        ...errorResponses,
        ...bodyResponses,
        ...unavailableResponse,
      },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      const { componentId, ttlSeconds } = c.req.valid("json");
      requireAdmin(c.var.principal);
      if (!deps.executionTokens) {
        throw new KilnError("UNAVAILABLE", "execution tokens are not enabled on this node");
      }
      const hit = deps.registry.getComponentDefinition(appId, componentId);
      if (!hit.found || !hit.definition) {
        throw new KilnError(
          "COMPONENT_NOT_FOUND",
          `app ${quote(appId)} has no component ${quote(componentId)}`,
        );
      }
      const tools = hit.definition.permissions;
      const { token, expiresAt } = deps.executionTokens.mint({
        appId,
        componentId,
        tools,
        ttlSeconds,
      });
      return c.json({
        token,
        expiresAt: new Date(expiresAt).toISOString(),
        appId,
        componentId,
        tools,
      }, 201);
    },
  );
}
