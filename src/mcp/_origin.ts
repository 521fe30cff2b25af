const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
const EXPOSED = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate";
const ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Mcp-Session-Id, " +
  "Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, X-Request-ID";

/** Which browser origins and which `Host` names may reach `/mcp`. */
export interface OriginPolicyOptions {
  /** Full origins (`https://inspector.example.com`) allowed besides same-origin and loopback. */
  allowedOrigins?: readonly string[];
  /** Host names (port ignored) allowed besides loopback; `*` turns the Host check off. */
  allowedHosts?: readonly string[];
  /** Kiln's public URL: its host and origin are allowed too. */
  publicUrl?: string;
}

/**
 * DNS-rebinding and cross-origin defence for `/mcp` (MCP 2025-11-25 transport security): the Host
 * header must name an allowed host and a browser's Origin must be same-origin, loopback or
 * configured. Also answers CORS so browser clients can read the session header.
 */
export class OriginPolicy {
  readonly #hosts: string[] | null;
  readonly #origins: Set<string>;
  readonly #anyOrigin: boolean;

  constructor(opts: OriginPolicyOptions = {}) {
    const extraHosts = [...(opts.allowedHosts ?? [])];
    const extraOrigins = [...(opts.allowedOrigins ?? [])];
    if (opts.publicUrl) {
      const url = new URL(opts.publicUrl);
      extraHosts.push(url.hostname);
      extraOrigins.push(url.origin);
    }
    this.#hosts = extraHosts.includes("*")
      ? null
      : [...LOOPBACK, ...extraHosts.map((h) => hostnameOf(h))];
    this.#anyOrigin = extraOrigins.includes("*");
    this.#origins = new Set(extraOrigins.filter((o) => o !== "*").map((o) => new URL(o).origin));
  }

  /** Why this request must be refused (403), or null when its Host and Origin are acceptable. */
  rejection(req: Request): string | null {
    const host = req.headers.get("host") ?? new URL(req.url).host;
    if (this.#hosts && !this.#hosts.includes(hostnameOf(host))) {
      return `the Host header ${JSON.stringify(host)} is not allowed`;
    }
    const origin = req.headers.get("origin");
    if (origin !== null && !this.#originAllowed(origin, req, host)) {
      return `the Origin ${JSON.stringify(origin)} is not allowed`;
    }
    return null;
  }

  /** CORS headers for a response to an allowed browser request (none without an Origin). */
  corsHeaders(req: Request): Record<string, string> {
    const origin = req.headers.get("origin");
    if (!origin) return {};
    return {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Expose-Headers": EXPOSED,
      "Vary": "Origin",
    };
  }

  /** The answer to an `OPTIONS` preflight that passed `rejection()`. */
  preflight(req: Request): Response {
    return new Response(null, {
      status: 204,
      headers: {
        ...this.corsHeaders(req),
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": req.headers.get("access-control-request-headers") ??
          ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Allow": "GET, POST, DELETE, OPTIONS",
        "Vary": "Origin, Access-Control-Request-Headers",
      },
    });
  }

  #originAllowed(origin: string, req: Request, host: string): boolean {
    if (this.#anyOrigin) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    if (LOOPBACK.includes(url.hostname)) return true;
    return url.origin === sameOrigin(req, host) || this.#origins.has(url.origin);
  }
}

function sameOrigin(req: Request, host: string): string | null {
  try {
    return new URL(`${new URL(req.url).protocol}//${host}`).origin;
  } catch {
    return null;
  }
}

/** The name part of a `Host` value (`[::1]:8080` → `[::1]`), lower-cased, port dropped. */
function hostnameOf(host: string): string {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  return name.toLowerCase();
}
