import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requirePermission } from "../../auth/mod.ts";
import { KilnError, quote, yamlValueOrThrowAsync } from "../../core/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { AppIdParam, errorResponses, ok } from "../_schemas.ts";

const Params = AppIdParam.extend({
  workflowId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/)
    .openapi({ param: { name: "workflowId", in: "path" } }),
});

/**
 * `GET /v1/apps/{appId}/workflows/{workflowId}`: a workflow's definition as JSON, at a revision
 * (a run's own), so clients such as the admin panel can show each step's type, target and input
 * mapping beside the run's trace without a YAML parser of their own.
 */
export function workflowDefinitionRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/workflows/{workflowId}",
      operationId: "getWorkflowDefinition",
      tags: ["workflows"],
      summary: "A workflow definition (state/workflows/<id>.yaml) as JSON",
      request: { params: Params, query: z.object({ revision: z.string().optional() }) },
      responses: {
        ...ok(z.object({
          workflowId: z.string(),
          revision: z.string().nullable(),
          definition: z.record(z.string(), z.unknown()),
        })),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { appId, workflowId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "definitions:read");
      deps.registry.getApplicationStatus(appId);
      const { revision } = c.req.valid("query");
      for (const ext of ["yaml", "yml"]) {
        const path = `workflows/${workflowId}.${ext}`;
        const file = await deps.state.getDefinitionFileContent(appId, path, revision);
        if (!file.found) continue;
        const definition = await yamlValueOrThrowAsync(file.content ?? "", path) as Record<
          string,
          unknown
        >;
        return c.json({ workflowId, revision: file.revision, definition }, 200);
      }
      throw new KilnError("NOT_FOUND", `app ${quote(appId)} has no workflow ${quote(workflowId)}`);
    },
  );
}
