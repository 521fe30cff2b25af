/**
 * The interactive API reference. Swagger UI's assets are embedded through imports, so the page
 * works offline and inside `deno compile`; nothing is fetched from a CDN. They load on the first
 * request for them (~1.5 MB of text no other request needs); the specifiers stay literal so
 * `deno compile` embeds them.
 */
const DOCS_ASSETS = {
  "swagger-ui-bundle.js": {
    load: () => import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } }),
    type: "text/javascript; charset=utf-8",
  },
  "swagger-ui.css": {
    load: () => import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } }),
    type: "text/css; charset=utf-8",
  },
} as const;

/** One embedded Swagger UI asset by file name, or null when there is none by that name. */
export async function docsAsset(name: string): Promise<{ body: string; type: string } | null> {
  if (!Object.hasOwn(DOCS_ASSETS, name)) return null;
  const asset = DOCS_ASSETS[name as keyof typeof DOCS_ASSETS];
  return { body: (await asset.load()).default, type: asset.type };
}

/** The HTML shell that loads the embedded assets and points them at `/openapi.json`. */
export const docsHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kiln API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>`;

/** Kept in its own file-like asset so the page needs no inline script (strict CSP). */
export const docsInit =
  `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", persistAuthorization: true });`;
