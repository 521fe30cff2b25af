import { isTracing, OnDemand } from "../core/mod.ts";
import { MCP_PATHS } from "../mcp/mod.ts";
import type { HttpDeps } from "./types.ts";
import { errorJson } from "./_errors.ts";
import { health } from "./_health.ts";
import { pathOf } from "./_path.ts";

/**
 * Kiln's HTTP handler. The admin API (its OpenAPI route definitions, zod-openapi, the admin panel)
 * and `more`, the services only it needs, load on the first request that needs them (ADR 0025):
 * until then `GET /healthz`, app ingress under `/apps/` and `/mcp` are answered here, as
 * `createHttpApp`'s own fast paths answer them; once it has loaded, every request goes through it. A load that fails answers 500 and is
 * tried again by the next request. Under OpenTelemetry every request waits for the full app, so
 * each one gets its span's name and `traceparent` as before.
 */
export function createHttpHandler(
  deps: HttpDeps,
  more: () => Promise<Partial<HttpDeps>> = () => Promise.resolve({}),
): (req: Request) => Promise<Response> {
  const app = new OnDemand("the admin API", async () => {
    const [{ createHttpApp }, extra] = await Promise.all([import("./app.ts"), more()]);
    return createHttpApp({ ...deps, ...extra }).fetch;
  });
  const mcpPaths = new Set(MCP_PATHS);
  const viaApp = (req: Request) =>
    app.get().then((fetch) => fetch(req), (err) => errorJson(err, deps.logger));
  if (isTracing) return viaApp;
  const early = async (req: Request): Promise<Response> => {
    const path = pathOf(req.url);
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      return await healthAnswer(req, deps);
    }
    if (deps.router && path.startsWith("/apps/")) return await deps.router.handle(req);
    if (deps.mcp && mcpPaths.has(path)) return await deps.mcp.handle(req);
    return await viaApp(req);
  };
  // Not async: once the app has loaded, its answer's promise is passed on as it is, without
  // another promise and await per request.
  return (req) => {
    const fetch = app.loaded;
    if (!fetch) return early(req);
    try {
      return Promise.resolve(fetch(req));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/** `/healthz` as the full app answers it: its request ID echoed and one request log line. */
async function healthAnswer(req: Request, deps: HttpDeps): Promise<Response> {
  const started = performance.now();
  const requestId = req.headers.get("x-request-id")?.slice(0, 128) || crypto.randomUUID();
  const { status, body } = await health(deps.cluster, deps.version);
  const headers = { "content-type": "application/json", "x-request-id": requestId };
  const res = new Response(req.method === "HEAD" ? null : JSON.stringify(body), {
    status,
    headers,
  });
  deps.logger.with({ requestId }).info("http request", {
    method: req.method,
    path: "/healthz",
    status,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });
  return res;
}
