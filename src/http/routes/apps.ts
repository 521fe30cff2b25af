import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireAdmin, requirePermission } from "../../auth/mod.ts";
import type { HonoRequest } from "hono";
import { KilnError } from "../../core/mod.ts";
import type { AppSource } from "../../registry/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import {
  AppDetails,
  AppIdParam,
  AppStatusInfo,
  bodyResponses,
  conflictResponse,
  errorResponses,
  mediaTypeResponse,
  ok,
  RegisterBody,
} from "../_schemas.ts";

const TAR_TYPES = [
  "application/gzip",
  "application/x-gzip",
  "application/x-tar",
  "application/octet-stream",
];

const sourceBody = {
  content: {
    "application/json": { schema: RegisterBody },
    "application/gzip": { schema: z.string().openapi({ format: "binary" }) },
    "application/x-tar": { schema: z.string().openapi({ format: "binary" }) },
  },
  // Not "required": zod-openapi then validates only the media type that was sent, and
  // readSource() checks whichever body arrives.
  required: false,
};

/** Registry routes (contract §4): register, list, details, status, update, activate, deregister. */
export function appRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const { registry } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps",
      operationId: "registerApp",
      tags: ["apps"],
      summary: "Register an application from a directory, files, or a tarball upload",
      request: { body: sourceBody },
      responses: {
        201: { description: "registered", content: { "application/json": { schema: AppDetails } } },
        ...errorResponses,
        ...bodyResponses,
        ...mediaTypeResponse,
        409: conflictResponse[409],
      },
    }),
    async (c) => {
      requireAdmin(c.var.principal);
      const details = await registry.registerApplication(await readSource(c.req));
      return c.json(details, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps",
      operationId: "listApps",
      tags: ["apps"],
      summary: "List applications",
      request: {
        query: z.object({ status: z.enum(["active", "all"]).default("all").optional() }),
      },
      responses: { ...ok(z.object({ apps: z.array(AppStatusInfo) })), ...errorResponses },
    }),
    (c) => {
      const p = c.var.principal;
      const active = c.req.valid("query").status === "active";
      const apps = (active ? registry.listActiveApplications() : registry.listApplications())
        .filter((a) => p.kind === "admin" || a.appId === p.appId);
      return c.json({ apps }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}",
      operationId: "getApp",
      tags: ["apps"],
      summary: "Application details",
      request: { params: AppIdParam },
      responses: { ...ok(AppDetails), ...errorResponses },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      return c.json(registry.getApplicationDetails(appId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/status",
      operationId: "getAppStatus",
      tags: ["apps"],
      summary: "Application status",
      request: { params: AppIdParam },
      responses: { ...ok(AppStatusInfo), ...errorResponses },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      return c.json(registry.getApplicationStatus(appId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/apps/{appId}",
      operationId: "updateApp",
      tags: ["apps"],
      summary: "Replace an application's definitions in one validated commit",
      request: { params: AppIdParam, body: sourceBody },
      responses: {
        ...ok(AppDetails),
        ...errorResponses,
        ...bodyResponses,
        ...mediaTypeResponse,
        ...conflictResponse,
      },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      requireAdmin(c.var.principal);
      return c.json(await registry.updateApplication(appId, await readSource(c.req)), 200);
    },
  );

  for (const action of ["activate", "deactivate", "sync"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/apps/{appId}/${action}`,
        operationId: `${action}App`,
        tags: ["apps"],
        summary: action === "sync"
          ? "Serve the repository head now (after a git push), if it is valid"
          : `${action[0].toUpperCase()}${action.slice(1)} an application`,
        request: { params: AppIdParam },
        responses: { ...ok(AppStatusInfo), ...errorResponses },
      }),
      async (c) => {
        const { appId } = c.req.valid("param");
        requireAdmin(c.var.principal);
        const status = action === "sync"
          ? await registry.sync(appId)
          : await registry.setActive(appId, action === "activate");
        return c.json(status, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/apps/{appId}",
      operationId: "deregisterApp",
      tags: ["apps"],
      summary:
        "Deregister an application (deleteState=true also deletes its repo and runtime values)",
      request: {
        params: AppIdParam,
        query: z.object({ deleteState: z.enum(["true", "false"]).optional() }),
      },
      responses: { ...ok(z.object({ deregistered: z.literal(true) })), ...errorResponses },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      requireAdmin(c.var.principal);
      const deleteState = c.req.valid("query").deleteState === "true";
      return c.json(await registry.deregisterApplication(appId, deleteState), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/components/{componentId}",
      operationId: "getComponent",
      tags: ["apps"],
      summary: "A component definition by id",
      request: { params: AppIdParam.extend({ componentId: z.string() }) },
      responses: { ...ok(z.record(z.string(), z.unknown())), ...errorResponses },
    }),
    (c) => {
      const { appId, componentId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      const hit = registry.getComponentDefinition(appId, componentId);
      if (!hit.found) {
        throw new KilnError(
          "COMPONENT_NOT_FOUND",
          `app "${appId}" has no component "${componentId}"`,
        );
      }
      return c.json(hit, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/route",
      operationId: "resolveRoute",
      tags: ["apps"],
      summary: "Which component serves a path and method",
      request: {
        params: AppIdParam,
        query: z.object({ path: z.string().startsWith("/"), method: z.string().default("GET") }),
      },
      responses: { ...ok(z.record(z.string(), z.unknown())), ...errorResponses },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      const { path, method } = c.req.valid("query");
      return c.json(registry.getComponentDefinition(appId, { path, method }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/config/{key}",
      operationId: "getConfigValue",
      tags: ["apps"],
      summary: "A configuration value: component over app over global",
      request: {
        params: AppIdParam.extend({ key: z.string().min(1) }),
        query: z.object({ componentId: z.string().optional() }),
      },
      responses: {
        ...ok(
          z.object({
            found: z.boolean(),
            value: z.unknown().optional(),
            source: z.string().optional(),
          }),
        ),
        ...errorResponses,
      },
    }),
    (c) => {
      const { appId, key } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      const { componentId } = c.req.valid("query");
      return c.json(registry.getAppConfigurationValue(appId, key, componentId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/sandbox-requirements",
      operationId: "getSandboxRequirements",
      tags: ["apps"],
      summary: "Pools and per-component runtime needs",
      request: { params: AppIdParam },
      responses: { ...ok(z.record(z.string(), z.unknown())), ...errorResponses },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      return c.json(registry.getSandboxRequirements(appId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/permissions",
      operationId: "getAppPermissions",
      tags: ["apps"],
      summary: "API keys (without hashes), inter-app permissions, roles and component tool grants",
      request: { params: AppIdParam },
      responses: { ...ok(z.record(z.string(), z.unknown())), ...errorResponses },
    }),
    (c) => {
      const { appId } = c.req.valid("param");
      requirePermission(c.var.principal, appId, "app:read");
      return c.json(registry.getApplicationPermissions(appId), 200);
    },
  );
}

/** Reads an app source from a JSON body or a tarball upload. */
async function readSource(req: HonoRequest): Promise<AppSource> {
  const type = (req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (TAR_TYPES.includes(type)) return { tarball: new Uint8Array(await req.arrayBuffer()) };
  if (type !== "application/json") {
    throw new KilnError(
      "UNSUPPORTED_MEDIA_TYPE",
      `unsupported content type "${type}"; send application/json or a tarball`,
    );
  }
  const parsed = RegisterBody.safeParse(await req.json());
  if (!parsed.success) {
    throw new KilnError("VALIDATION_ERROR", "the body must be {directory} or {files}", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return parsed.data;
}
