import type { KilnError } from "../core/mod.ts";

/** Where RFC 9728 protected-resource metadata lives; `/mcp` is appended for the MCP resource. */
export const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/** The RFC 9728 document describing `/mcp` as a bearer-token protected resource. */
export interface ResourceMetadata {
  resource: string;
  bearer_methods_supported: string[];
  resource_name: string;
}

/** The origin clients reach Kiln at: the configured public URL, else the request's own origin. */
export function publicBase(req: Request, publicUrl?: string): string {
  return (publicUrl ? new URL(publicUrl) : new URL(req.url)).origin;
}

/**
 * The metadata for `/mcp`. `authorization_servers` is left out on purpose: Kiln issues its tokens
 * out of band (admin token, app keys, execution tokens), so there is no OAuth server to discover.
 */
export function resourceMetadata(base: string): ResourceMetadata {
  return {
    resource: `${base}/mcp`,
    bearer_methods_supported: ["header"],
    resource_name: "Kiln MCP",
  };
}

/** Serves the metadata document to anyone, browsers included (it holds no secret). */
export function metadataResponse(req: Request, publicUrl?: string): Response {
  if (req.method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, OPTIONS",
        "Access-Control-Max-Age": "600",
      },
    });
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return Response.json(
      { error: { code: "METHOD_NOT_ALLOWED", message: `${req.method} is not allowed here` } },
      { status: 405, headers: { Allow: "GET, HEAD, OPTIONS" } },
    );
  }
  return Response.json(resourceMetadata(publicBase(req, publicUrl)), {
    headers: { "Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300" },
  });
}

/**
 * The `WWW-Authenticate` challenge of a 401 from `/mcp`: it points at the metadata (RFC 9728
 * §5.1) and says `invalid_token` when a token was sent but refused (RFC 6750 §3.1).
 */
export function bearerChallenge(base: string, err: KilnError, tokenSent: boolean): string {
  const params = [`resource_metadata="${base}${RESOURCE_METADATA_PATH}/mcp"`];
  if (tokenSent) {
    params.push(`error="invalid_token"`, `error_description="${err.message.replace(/"/g, "'")}"`);
  }
  return `Bearer ${params.join(", ")}`;
}
