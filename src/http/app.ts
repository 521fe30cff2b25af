import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import {
  activeSpan,
  assertJsonDepth,
  isTracing,
  KilnError,
  LIMITS,
  type Span,
  traceparentOf,
} from "../core/mod.ts";
import { MCP_PATHS } from "../mcp/mod.ts";
import { adminRoutes, sessionPrincipal } from "../admin/mod.ts";
import type { HttpDeps, KilnEnv } from "./types.ts";
import { errorResponse, validationHook } from "./_errors.ts";
import { pathOf } from "./_path.ts";
import { appRoutes } from "./routes/apps.ts";
import { definitionRoutes } from "./routes/definitions.ts";
import { keyRoutes } from "./routes/keys.ts";
import { metricRoutes } from "./routes/metrics.ts";
import { runtimeRoutes } from "./routes/runtime.ts";
import { clusterRoutes } from "./routes/cluster.ts";
import { sandboxRoutes } from "./routes/sandboxes.ts";
import { systemRoutes } from "./routes/system.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { toolRoutes } from "./routes/tools.ts";
import { workflowDefinitionRoutes } from "./routes/workflow_definitions.ts";
import { workflowRoutes } from "./routes/workflows.ts";
import { jitRoutes } from "./routes/jit.ts";

const MiB = 1 << 20;

/**
 * Builds Kiln's HTTP app as a pure `(Request) => Response` handler; only the edge (`serve.ts`)
 * binds it to a socket, so tests call it directly.
 */
export function createHttpApp(deps: HttpDeps): OpenAPIHono<KilnEnv> {
  const app = new OpenAPIHono<KilnEnv>({ defaultHook: validationHook });
  const maxJson = deps.maxJsonBytes ?? 2 * MiB;
  const maxUpload = deps.maxUploadBytes ?? 32 * MiB;

  // Before the request log: MCP tool calls are the hot path and the endpoint logs its own failures.
  const mcp = deps.mcp;
  if (mcp) {
    for (const path of MCP_PATHS) app.all(path, (c) => mcp.handle(c.req.raw));
  }
  // App ingress is the other hot path: the router logs one line per invocation itself.
  const router = deps.router;
  if (router) app.all("/apps/*", (c) => router.handle(c.req.raw));

  app.use("*", async (c, next) => {
    const requestId = c.req.header("x-request-id")?.slice(0, 128) || crypto.randomUUID();
    const appId = /^\/v1\/apps\/([^/]+)/.exec(c.req.path)?.[1];
    const log = deps.logger.with({ requestId, ...(appId ? { appId } : {}) });
    c.set("requestId", requestId);
    c.set("log", log);
    const started = performance.now();
    await next();
    c.header("X-Request-ID", requestId);
    if (isTracing) nameServerSpan(activeSpan(), c.req.method, c.req.routePath);
    log.info("http request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  });

  app.use("/v1/*", (c, next) => {
    const type = c.req.header("content-type") ?? "";
    const upload = /gzip|x-tar|octet-stream/.test(type);
    return bodyLimit({
      maxSize: upload ? maxUpload : maxJson,
      onError: () => {
        throw new KilnError(
          "PAYLOAD_TOO_LARGE",
          `the request body exceeds ${upload ? maxUpload : maxJson} bytes`,
        );
      },
    })(c, next);
  });

  // JSON bodies are measured before zod or a handler parses them: the text is read once here and
  // Hono keeps it, so `c.req.json()` later parses this same text.
  app.use("/v1/*", async (c, next) => {
    if (c.req.raw.body && /json/i.test(c.req.header("content-type") ?? "")) {
      assertJsonDepth(await c.req.text(), "the request body", LIMITS["json.depth"]);
    }
    await next();
  });

  app.use("/v1/*", async (c, next) => {
    const header = c.req.header("authorization");
    // Without a bearer token, an admin panel session (cookie + CSRF header) is the admin.
    c.set(
      "principal",
      !header && deps.adminSessions
        ? await sessionPrincipal(c, deps.adminSessions)
        : deps.auth.authenticate(header),
    );
    await next();
  });

  systemRoutes(app, deps);
  appRoutes(app, deps);
  definitionRoutes(app, deps);
  runtimeRoutes(app, deps);
  keyRoutes(app, deps);
  tokenRoutes(app, deps);
  workflowRoutes(app, deps);
  if (deps.metrics) metricRoutes(app, deps.metrics, deps);
  jitRoutes(app, deps);
  sandboxRoutes(app, deps);
  clusterRoutes(app, deps);
  toolRoutes(app, deps);
  workflowDefinitionRoutes(app, deps);
  if (deps.adminSessions) {
    adminRoutes(app, { sessions: deps.adminSessions, auth: deps.auth, version: deps.version });
  }

  app.notFound((c) =>
    errorResponse(c, new KilnError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`))
  );
  app.onError((err, c) => errorResponse(c, err, c.var.log ?? deps.logger));

  // The two hot paths skip Hono's routing and context: the handlers above would be the first and
  // only ones to run for these paths anyway. Anything else (a percent-encoded or bare `/apps`
  // path included) takes Hono's way as before.
  const viaHono = app.fetch;
  const mcpPaths = new Set(MCP_PATHS);
  const dispatch: typeof app.fetch = (req, ...rest) => {
    const path = pathOf(req.url);
    if (router && path.startsWith("/apps/")) return router.handle(req);
    if (mcp && mcpPaths.has(path)) return mcp.handle(req);
    return viaHono(req, ...rest);
  };
  app.fetch = isTracing ? traced(dispatch, mcpPaths) : dispatch;
  return app;
}

/**
 * Under OTel, Deno.serve has opened the request's SERVER span (continuing the caller's
 * `traceparent`); the response names it in a `traceparent` header so a caller can find its trace.
 */
function traced<Rest extends unknown[]>(
  dispatch: (req: Request, ...rest: Rest) => Response | Promise<Response>,
  mcpPaths: Set<string>,
): (req: Request, ...rest: Rest) => Promise<Response> {
  return async (req, ...rest) => {
    const span = activeSpan();
    const res = await dispatch(req, ...rest);
    if (!span) return res;
    const path = pathOf(req.url);
    if (mcpPaths.has(path)) nameServerSpan(span, req.method, path);
    try {
      res.headers.set("traceparent", traceparentOf(span));
    } catch { /* a proxied upstream response has immutable headers; its span is still there */ }
    return res;
  };
}

/** Semantic-convention name and `http.route` of a SERVER span: `GET /v1/apps/:appId`. */
function nameServerSpan(span: Span | undefined, method: string, route: string): void {
  if (!span) return;
  span.setAttribute("http.route", route);
  span.updateName(`${method} ${route}`);
}
