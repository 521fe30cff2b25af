import type { OpenAPIHono } from "@hono/zod-openapi";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { docsAsset, docsHtml, docsInit } from "../docs_page.ts";

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/**
 * Unauthenticated routes: health (in cluster mode 503 while the node cannot serve, so a load
 * balancer drains it), version, the OpenAPI document and its reference page.
 */
export function systemRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.get("/healthz", async (c) => {
    const health = deps.cluster ? await deps.cluster.health() : { ok: true as const };
    if (!health.ok) return c.json({ status: "unavailable", reason: health.reason }, 503);
    return c.json({ status: "ok", version: deps.version });
  });
  app.get("/v1/version", (c) => c.json({ version: deps.version }));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The admin token, or an app API key (kiln_<keyId>_<secret>)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Kiln API",
      version: deps.version,
      description: "Registry, definition state and runtime state of Kiln applications.",
    },
    security: [{ bearer: [] }],
  });

  app.get("/docs", (c) => c.html(docsHtml, 200, { "Content-Security-Policy": CSP }));
  app.get(
    "/docs/assets/init.js",
    (c) => c.body(docsInit, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get("/docs/assets/:name", async (c) => {
    const asset = await docsAsset(c.req.param("name"));
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, {
      "Content-Type": asset.type,
      "Cache-Control": "public, max-age=86400",
    });
  });
}
