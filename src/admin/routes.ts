import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Authenticator } from "../auth/mod.ts";
import { KilnError } from "../core/mod.ts";
import { ASSETS } from "./_assets.ts";
import { ADMIN_CSP, shellHtml } from "./_page.ts";
import { checkOrigin, requireSession, SESSION_COOKIE } from "./session_auth.ts";
import type { AdminSessions } from "./sessions.ts";

/** What the panel's routes need. */
export interface AdminDeps {
  sessions: AdminSessions;
  auth: Authenticator;
  version: string;
}

const MAX_SIGN_IN_BYTES = 4096;

/**
 * Where the browser sends the session cookie: the panel and the API only. App ingress
 * (`/apps/…`) and `/mcp` never see it — apps may be untrusted, and although the router hides
 * cookies from components, the cookie has no business reaching them at all.
 */
const COOKIE_PATHS = ["/admin", "/v1"];

/**
 * The admin panel at `/admin`: the HTML shell for every panel path, the embedded assets, and the
 * session API (sign in with the admin token, read the CSRF token back, sign out). The panel
 * itself calls `/v1` with the session cookie.
 */
// deno-lint-ignore no-explicit-any -- mounted on Kiln's OpenAPIHono, whose env this need not know
export function adminRoutes(app: Hono<any>, deps: AdminDeps): void {
  const { sessions } = deps;
  const secure = (req: Request) =>
    new URL(req.url).protocol === "https:" || req.headers.get("x-forwarded-proto") === "https";
  const noStore = { "Cache-Control": "no-store" };

  app.post("/admin/session", async (c) => {
    checkOrigin(c.req.raw);
    const text = await c.req.text();
    if (text.length > MAX_SIGN_IN_BYTES) {
      throw new KilnError("PAYLOAD_TOO_LARGE", `sign-in bodies are at most ${MAX_SIGN_IN_BYTES}`);
    }
    let token: unknown;
    try {
      token = (JSON.parse(text) as { token?: unknown })?.token;
    } catch {
      throw new KilnError("BAD_REQUEST", "the sign-in body must be JSON {token}");
    }
    if (typeof token !== "string" || token === "") {
      throw new KilnError("VALIDATION_ERROR", "token is required");
    }
    let admin = false;
    try {
      admin = deps.auth.authenticate(`Bearer ${token}`).kind === "admin";
    } catch { /* an invalid token is answered below, the same as a non-admin one */ }
    if (!admin) throw new KilnError("UNAUTHORIZED", "that is not the admin token");
    const s = await sessions.create();
    for (const path of COOKIE_PATHS) {
      setCookie(c, SESSION_COOKIE, s.sessionId, {
        httpOnly: true,
        sameSite: "Strict",
        secure: secure(c.req.raw),
        path,
        expires: new Date(s.expiresAt),
      });
    }
    return c.json({ csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() }, 201, {
      ...noStore,
    });
  });

  app.get("/admin/session", async (c) => {
    const s = await requireSession(c, sessions);
    return c.json(
      {
        csrfToken: s.csrfToken,
        expiresAt: new Date(s.expiresAt).toISOString(),
        version: deps.version,
      },
      200,
      noStore,
    );
  });

  app.delete("/admin/session", async (c) => {
    await requireSession(c, sessions);
    await sessions.destroy(getCookie(c, SESSION_COOKIE));
    for (const path of COOKIE_PATHS) {
      deleteCookie(c, SESSION_COOKIE, { path, secure: secure(c.req.raw) });
    }
    return c.body(null, 204);
  });

  app.get("/admin/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name") as keyof typeof ASSETS];
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, {
      "Content-Type": asset.type,
      "Cache-Control": c.req.query("v") ? "public, max-age=31536000, immutable" : "no-cache",
    });
  });

  const shell = async (c: Context) => {
    const s = await sessions.lookup(getCookie(c, SESSION_COOKIE));
    const session = s
      ? {
        csrfToken: s.csrfToken,
        expiresAt: new Date(s.expiresAt).toISOString(),
        version: deps.version,
      }
      : null;
    return c.html(shellHtml(session, c.req.path), 200, {
      "Content-Security-Policy": ADMIN_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
      ...noStore,
    });
  };
  app.get("/admin", shell);
  app.get("/admin/*", shell);
}
