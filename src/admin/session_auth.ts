import { getCookie } from "hono/cookie";
import type { Context } from "hono";
import type { Principal } from "../auth/mod.ts";
import { KilnError, quote } from "../core/mod.ts";
import type { AdminSessions, SessionInfo } from "./sessions.ts";

/** The session cookie: HTTP-only, SameSite=Strict, never readable by the panel's scripts. */
export const SESSION_COOKIE = "kiln_admin_session";
/** The header an unsafe request repeats the session's CSRF token in. */
export const CSRF_HEADER = "x-kiln-csrf";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a method can change state, and so needs the CSRF header and a same-origin Origin. */
export function isUnsafe(method: string): boolean {
  return !SAFE.has(method.toUpperCase());
}

/**
 * Refuses a cross-site unsafe request before anything else: the `Origin` a browser sends must
 * name this host, and a `Sec-Fetch-Site` other than `same-origin` is refused too. A missing
 * Origin is let through (non-browser clients), since such a request still needs the CSRF token,
 * which only a same-origin page can read.
 */
export function checkOrigin(req: Request): void {
  const origin = req.headers.get("origin");
  const host = req.headers.get("host") ?? new URL(req.url).host;
  if (origin !== null) {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch { /* "null" and garbage are refused below */ }
    if (originHost !== host) {
      throw new KilnError("CSRF_REJECTED", `cross-origin request from ${quote(origin)} refused`);
    }
  }
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new KilnError("CSRF_REJECTED", `a ${quote(site)} request may not use the admin session`);
  }
}

/** The session a request carries (cookie), checked for CSRF when the request is unsafe. */
export async function requireSession(c: Context, sessions: AdminSessions): Promise<SessionInfo> {
  const unsafe = isUnsafe(c.req.method);
  if (unsafe) checkOrigin(c.req.raw);
  return await sessions.require(getCookie(c, SESSION_COOKIE), unsafe, c.req.header(CSRF_HEADER));
}

/**
 * The principal of an API request that came without a bearer token: a valid admin panel session
 * acts as the admin. GETs need only the cookie; anything else also needs the CSRF header.
 */
export async function sessionPrincipal(c: Context, sessions: AdminSessions): Promise<Principal> {
  if (getCookie(c, SESSION_COOKIE) === undefined) {
    throw new KilnError("UNAUTHORIZED", "missing bearer token");
  }
  await requireSession(c, sessions);
  return { kind: "admin" };
}
