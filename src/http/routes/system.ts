import type { OpenAPIHono } from "@hono/zod-openapi";
import type { HttpDeps, KilnEnv } from "../types.ts";
import { docsAsset, docsHtml, docsInit } from "../docs_page.ts";
import { health } from "../_health.ts";

/**
 * The license the API document declares. The repository has no LICENSE file yet, so the document
 * says so instead of inventing one; change this line when the owner picks a license.
 */
const LICENSE = { name: "Proprietary: no license granted yet" };

/** One tag per subsystem, in the order the reference page lists them. */
const TAGS = [
  { name: "apps", description: "The registry: register, update, activate and deregister apps" },
  { name: "definitions", description: "Definition state: the app's Git-versioned files" },
  { name: "runtime", description: "Runtime state: an app's JSON values, with TTL and increments" },
  { name: "keys", description: "App API keys and execution tokens" },
  { name: "workflows", description: "Workflow definitions and runs, with their step events" },
  { name: "jit", description: "The JIT loop: generated code, its gate, promotion and audit" },
  { name: "metrics", description: "Counters, histograms and range queries; Prometheus text" },
  { name: "sandboxes", description: "Sandbox tiers, pools and their counters" },
  { name: "mcp", description: "The MCP tool registry over plain JSON (the admin's view)" },
  { name: "cluster", description: "Cluster mode: the nodes sharing one Redis" },
];

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/**
 * Unauthenticated routes: health (in cluster mode 503 while the node cannot serve, so a load
 * balancer drains it), version, the OpenAPI document and its reference page.
 */
export function systemRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  app.get("/healthz", async (c) => {
    const { status, body } = await health(deps.cluster, deps.version);
    return c.json(body, status);
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
      license: LICENSE,
    },
    servers: [
      { url: "/", description: "The Kiln that serves this document" },
      { url: "http://127.0.0.1:7411", description: "A local kiln serve on its default port" },
    ],
    tags: TAGS,
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
