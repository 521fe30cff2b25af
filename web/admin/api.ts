/**
 * The panel's one way to reach Kiln. Requests ride on the HTTP-only session cookie; unsafe ones
 * repeat the session's CSRF token in `X-Kiln-CSRF`. The admin token itself is never kept in JS.
 */

/** A failed API call, as the error envelope `{error: {code, message, details}}` says. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrfToken = "";
let onSignedOut: () => void = () => {};

/** Remembers the session's CSRF token (in memory only) for unsafe requests. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an answer says the session is gone (401), so the panel shows the sign-in form. */
export function onSessionLost(fn: () => void): void {
  onSignedOut = fn;
}

export interface CallOptions {
  /** A body sent as it is (a tarball), with this content type. */
  raw?: { body: BodyInit; type: string };
  /** Answer the Response rather than parsed JSON (ingress calls read headers). */
  response?: boolean;
  headers?: Record<string, string>;
}

/** Calls a Kiln path; JSON in, JSON out, ApiError on any non-2xx answer. */
// deno-lint-ignore no-explicit-any -- answers are shaped by each route; pages type what they use
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  if (method !== "GET" && method !== "HEAD") headers["x-kiln-csrf"] = csrfToken;
  let payload: BodyInit | undefined;
  if (opts.raw) {
    headers["content-type"] = opts.raw.type;
    payload = opts.raw.body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (opts.response) return res as unknown as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } })?.error;
    const failure = new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? (text.slice(0, 300) || res.statusText),
      err?.details,
    );
    if (res.status === 401 && !path.startsWith("/admin/session")) onSignedOut();
    throw failure;
  }
  return json as T;
}

/** `encodeURIComponent` for path segments. */
export const enc = encodeURIComponent;

/** A query string from the defined values of `q`. */
export function qs(q: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}
