/** HTTP-level pieces of `/mcp` that run before or around JSON-RPC dispatch. */
import {
  isJsonContentType,
  readRequestBody,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { jsonTextShape, KilnError, limitExceeded, LIMITS, shapeMessage } from "../core/mod.ts";

const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/**
 * The hot path's shortcut past the SDK's era classifier: a single JSON-RPC message with no
 * `_meta` at all and no modern `MCP-Protocol-Version` header cannot claim 2026-07-28, so it is
 * 2025-era. Anything else is classified by the SDK (`isLegacyRequest`).
 */
export function plainLegacy(req: Request, body: unknown): boolean {
  if (req.method !== "POST") return true;
  const version = req.headers.get("mcp-protocol-version")?.trim();
  if (version !== undefined && !LEGACY_VERSIONS.has(version)) return false;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const params = (body as { params?: unknown }).params;
  return params === undefined || (typeof params === "object" && params !== null &&
    !("_meta" in params));
}

/**
 * The JSON-RPC body: JSON only, at most `maxBytes` and `json.depth` deep (measured on the text,
 * before anything parses it), parsed once for every later step.
 */
export async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    throw new KilnError("UNSUPPORTED_MEDIA_TYPE", "MCP requests must be application/json");
  }
  const tooLarge = () =>
    new KilnError("PAYLOAD_TOO_LARGE", `the request body exceeds ${maxBytes} bytes`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  let text: string;
  if (Number.isFinite(declared)) {
    text = await req.text();
  } else {
    const read = await readRequestBody(req, maxBytes);
    if (read.tooLarge) throw tooLarge();
    text = read.text;
  }
  const { over } = jsonTextShape(text);
  if (over) {
    throw limitExceeded(over, shapeMessage("the request body", over), { max: LIMITS[over] });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KilnError("BAD_REQUEST", "the request body is not valid JSON");
  }
}

/**
 * A refusal before JSON-RPC dispatch: the Kiln error envelope inside a JSON-RPC error with no
 * id (the message was not parsed, so its id is unknown). A body over a budget is -32600 Invalid
 * Request with HTTP 400, as MCP's HTTP transport asks of input the server cannot accept.
 */
export function rpcError(err: KilnError, challenge?: string): Response {
  const code = err.code === "BAD_REQUEST"
    ? -32700
    : err.code === "LIMIT_EXCEEDED"
    ? -32600
    : err.status === 404
    ? -32001
    : -32000;
  const headers: Record<string, string> = {};
  if (challenge) headers["WWW-Authenticate"] = challenge;
  if (err.code === "METHOD_NOT_ALLOWED") headers["Allow"] = "POST";
  return Response.json(
    { jsonrpc: "2.0", error: { code, message: err.message, data: err.toJSON().error }, id: null },
    { status: err.status, headers },
  );
}

/** Adds headers to a response, copying it when its headers are immutable. */
export function withHeaders(res: Response, headers: Record<string, string>): Response {
  const entries = Object.entries(headers);
  if (entries.length === 0) return res;
  try {
    for (const [name, value] of entries) res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Headers(res.headers);
    for (const [name, value] of entries) copy.set(name, value);
    return new Response(res.body, { status: res.status, headers: copy });
  }
}
