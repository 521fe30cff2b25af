import { ASSET_VERSION } from "./_assets.ts";

/** The panel's one HTML shell; every `/admin/*` path answers it and the client routes. */
export const shellHtml = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kiln admin</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/admin/assets/app.css?v=${ASSET_VERSION}">
</head>
<body>
  <div id="root"><p class="boot">Loading the Kiln admin panel…</p></div>
  <noscript>The Kiln admin panel needs JavaScript.</noscript>
  <script type="module" src="/admin/assets/app.js?v=${ASSET_VERSION}"></script>
</body>
</html>`;

/**
 * No inline script, nothing from elsewhere, no framing. Inline styles are allowed because uPlot
 * and the panel size elements through `style` attributes.
 */
export const ADMIN_CSP = "default-src 'self'; script-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; " +
  "base-uri 'none'; form-action 'self'";
