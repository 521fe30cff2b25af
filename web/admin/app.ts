import { useEffect, useRef, useState } from "preact/hooks";
import { api, onSessionLost, setCsrfToken } from "./api.ts";
import { ErrorBox, Link } from "./common.ts";
import { html } from "./html.ts";
import { BASE, navigate, useRoute } from "./router.ts";
import { SignIn } from "./pages/sign_in.ts";
import { AppsPage } from "./pages/apps.ts";
import { AppDetailPage } from "./pages/app_detail.ts";
import { InvokePage } from "./pages/invoke.ts";
import { RunsPage } from "./pages/runs.ts";
import { RunDetailPage } from "./pages/run_detail.ts";
import { SandboxesPage } from "./pages/sandboxes.ts";
import { ClusterPage } from "./pages/cluster.ts";
import { McpPage } from "./pages/mcp.ts";
import { MetricsPage } from "./pages/metrics.ts";
import { OptimizationPage } from "./pages/optimization.ts";

const NAV = [
  ["/apps", "Apps"],
  ["/invoke", "Invoke"],
  ["/runs", "Runs"],
  ["/metrics", "Metrics"],
  ["/optimization", "Optimization"],
  ["/sandboxes", "Sandboxes"],
  ["/cluster", "Cluster"],
  ["/mcp", "MCP tools"],
] as const;

type Session = { state: "out"; error?: unknown } | {
  state: "in";
  version?: string;
};

/**
 * The session as the shell rendered it: the cookie is HTTP-only, so the server says whether it
 * is live and hands over the CSRF token in a meta tag.
 */
function fromShell(): Session {
  const meta = document.querySelector('meta[name="kiln-session"]')?.getAttribute("content");
  if (!meta) return { state: "out" };
  try {
    const s = JSON.parse(meta) as { csrfToken: string; version?: string };
    setCsrfToken(s.csrfToken);
    return { state: "in", version: s.version };
  } catch {
    return { state: "out" };
  }
}

/** The panel: signed in or not as the shell says, then routes. */
export function App() {
  const [session, setSession] = useState<Session>(fromShell);
  useEffect(() => onSessionLost(() => setSession({ state: "out" })), []);

  if (session.state === "out") {
    return html`<${SignIn} error=${session.error} onSignedIn=${(v?: string) => {
      setSession({ state: "in", version: v });
      if (location.pathname === BASE || location.pathname === `${BASE}/`) navigate("/apps", true);
    }} />`;
  }
  return html`<${Shell} version=${session.version} onSignedOut=${() =>
    setSession({ state: "out" })} />`;
}

function Shell({ version, onSignedOut }: { version?: string; onSignedOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const [signOutError, setSignOutError] = useState<unknown>(null);
  const first = useRef(true);
  useEffect(() => {
    // Focus follows navigation so keyboard and screen-reader users land on the new page.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [route.path]);
  const signOut = async () => {
    try {
      await api("DELETE", "/admin/session");
      setCsrfToken("");
      onSignedOut();
    } catch (err) {
      setSignOutError(err);
    }
  };
  const section = "/" + (route.path.split("/")[1] ?? "");
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top" role="banner">
      <span class="brand">Kiln admin</span>
      ${version && html`<span class="muted">v${version}</span>`}
      <span class="spacer"></span>
      <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
    </header>
    <div class="layout">
      <nav aria-label="Main" class="side">
        <ul>
          ${NAV.map(([href, label]) =>
            html`
              <li>
                <${Link} href=${BASE + href} aria-current=${section === href
                  ? "page"
                  : undefined}>${label}<//></li>
            `
          )}
        </ul>
      </nav>
      <main id="main" ref=${main} tabindex="-1" aria-labelledby="page-title">
        <${ErrorBox} error=${signOutError} title="Sign-out failed" />
        <${Page} path=${route.path} query=${route.query} />
      </main>
    </div>
  `;
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0] ?? "apps") {
    case "apps":
      return parts[1]
        ? html`<${AppDetailPage} appId=${parts[1]} query=${query} />`
        : html`<${AppsPage} />`;
    case "invoke":
      return html`<${InvokePage} query=${query} />`;
    case "runs":
      return parts[2]
        ? html`<${RunDetailPage} appId=${parts[1]} runId=${parts[2]} />`
        : html`<${RunsPage} query=${query} />`;
    case "metrics":
      return html`<${MetricsPage} query=${query} />`;
    case "optimization":
      return html`<${OptimizationPage} query=${query} />`;
    case "sandboxes":
      return html`<${SandboxesPage} />`;
    case "cluster":
      return html`<${ClusterPage} />`;
    case "mcp":
      return html`<${McpPage} query=${query} />`;
    default:
      return html`
        <h1 id="page-title">Not found</h1>
        <p>No panel page at <code>${path}</code>.</p>
      `;
  }
}
