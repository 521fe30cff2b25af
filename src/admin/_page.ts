import { ASSET_VERSION } from "./_assets.ts";

/** What the shell hands the client about the caller's session (never the session id). */
export interface ShellSession {
  csrfToken: string;
  expiresAt: string;
  version: string;
}

const escapeAttr = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The panel's one HTML shell; every `/admin/*` path answers it and the client routes. A signed-in
 * caller's CSRF token rides in a meta tag (as server-rendered pages do), so the first render needs
 * no session round trip; the answer is `no-store` and same-origin pages alone can read it.
 */
export function shellHtml(session: ShellSession | null, path = "/admin"): string {
  const meta = session
    ? `\n  <meta name="kiln-session" content="${escapeAttr(JSON.stringify(session))}">`
    : "";
  // A page's heavy library is fetched alongside the app bundle, not after it has run.
  const lib = session && /^\/admin\/metrics\b/.test(path) ? "uplot.js" : null;
  const preload = lib
    ? `\n  <link rel="modulepreload" href="/admin/assets/${lib}?v=${ASSET_VERSION}">`
    : "";
  return SHELL.replace("<!--session-->", meta + preload);
}

const SHELL = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kiln admin</title>
  <link rel="icon" href="data:,"><!--session-->
  <link rel="stylesheet" href="/admin/assets/app.css?v=${ASSET_VERSION}">
  <link rel="modulepreload" href="/admin/assets/app.js?v=${ASSET_VERSION}">
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
