import bundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import css from "swagger-ui-dist/swagger-ui.css" with { type: "text" };

/**
 * The interactive API reference. Swagger UI's assets are embedded through imports, so the page
 * works offline and inside `deno compile`; nothing is fetched from a CDN.
 */
export const docsAssets = {
  "swagger-ui-bundle.js": { body: bundle, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { body: css, type: "text/css; charset=utf-8" },
} as const;

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
