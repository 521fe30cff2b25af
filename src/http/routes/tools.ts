import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin } from "../../auth/mod.ts";
import { KilnError } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { bodyResponses, errorResponses, ok, unavailableResponse } from "../_schemas.ts";

const Listing = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  outputSchema: z.record(z.string(), z.unknown()),
  annotations: z.record(z.string(), z.unknown()),
}).openapi("ToolListing");
const CallBody = z.object({
  name: z.string().min(1).max(300),
  arguments: z.record(z.string(), z.unknown()).default({}),
  appId: z.string().min(1).max(64).optional().describe("the app app-scoped core tools act on"),
});

/**
 * The MCP tool registry over plain JSON (admin): list every tool with its schemas and call one
 * as the admin. It is the same `ToolRegistry` `/mcp` serves, so authorization, validation and
 * counting are identical; it exists so the admin panel's cookie session can use tools without
 * an MCP session (whose bearer auth a browser cannot send without exposing the token).
 */
export function toolRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const catalog = () => {
    if (!deps.tools) throw new KilnError("UNAVAILABLE", "no tool registry on this node");
    return deps.tools;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tools",
      operationId: "listTools",
      tags: ["mcp"],
      summary: "Every MCP tool with its input and output JSON Schemas",
      request: { query: z.object({ appId: z.string().optional() }) },
      responses: {
        ...ok(z.object({ tools: z.array(Listing) })),
        ...errorResponses,
        ...unavailableResponse,
      },
    }),
    (c) => {
      requireAdmin(c.var.principal);
      const { appId } = c.req.valid("query");
      const tools = catalog().list({ kind: "admin", ...(appId ? { appId } : {}) });
      return c.json({ tools }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tools/call",
      operationId: "callTool",
      tags: ["mcp"],
      summary: "Call an MCP tool as the admin (the tools/call result, isError for failures)",
      request: { body: { content: { "application/json": { schema: CallBody } }, required: true } },
      responses: {
        ...ok(z.record(z.string(), z.unknown())),
        ...errorResponses,
        ...bodyResponses,
        ...unavailableResponse,
      },
    }),
    async (c) => {
      requireAdmin(c.var.principal);
      const b = c.req.valid("json");
      const started = performance.now();
      const result = await catalog().call(
        b.name,
        b.arguments,
        { kind: "admin", ...(b.appId ? { appId: b.appId } : {}) },
        // No abort signal: Deno.serve aborts request.signal after every response (legacy mode).
        { requestId: c.var.requestId },
      );
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      return c.json({ ...result, durationMs }, 200);
    },
  );
}
