/**
 * The hot path of `/mcp`: a stateless 2025-era `tools/call` (no session, no `_meta`, one message),
 * which is how sandboxes and most scripted clients call tools. The SDK serves it with a throwaway
 * server and transport and zod-validates the message, its params and the result; for a request of
 * exactly this shape every one of those steps has a single outcome, so it is answered here with the
 * same bytes. Anything else — batches, sessions, `_meta` (progress tokens), unknown keys, an odd
 * `id`, a missing `Accept` — goes to the SDK, which also gives its own errors for them.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/server";
import type { CallFailure } from "./_mcp_server.ts";
import type { ToolCallResult } from "./tool.ts";

const LEGACY_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/** The parts of a plain stateless `tools/call`. */
export interface StatelessCall {
  id: string | number;
  name: string;
  args: Record<string, unknown>;
}

/**
 * The call, when the SDK's stateless transport would accept this request without a word and hand
 * it to the `tools/call` handler unchanged; null sends it the SDK's way. Mirrors the transport's
 * checks (`Accept` naming both JSON and SSE, a supported `MCP-Protocol-Version` or none) and the
 * 2025-11-25 wire schemas (`id` a string or integer, `params.name` a string, `params.arguments` an
 * object), and refuses any member those schemas would strip or interpret.
 */
export function statelessCall(req: Request, body: unknown): StatelessCall | null {
  if (req.method !== "POST" || req.headers.has("mcp-session-id")) return null;
  const accept = req.headers.get("accept");
  if (!accept?.includes("application/json") || !accept.includes("text/event-stream")) return null;
  const version = req.headers.get("mcp-protocol-version");
  if (version !== null && !LEGACY_VERSIONS.has(version)) return null;
  if (!isObject(body) || Object.keys(body).length !== 4) return null;
  const { jsonrpc, id, method, params } = body;
  if (jsonrpc !== "2.0" || method !== "tools/call" || !isObject(params)) return null;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return null;
  const { name, arguments: args } = params;
  if (typeof name !== "string" || (args !== undefined && !isObject(args))) return null;
  // The SDK's copy of the arguments drops an own `__proto__` member; this path must not pass it on.
  if (args !== undefined && Object.hasOwn(args, "__proto__")) return null;
  for (const key of Object.keys(params)) {
    if (key !== "name" && key !== "arguments") return null;
  }
  return { id: id as string | number, name, args: args ?? {} };
}

/**
 * The SDK's answer to a call whose handler failed with a protocol error: `{jsonrpc, id, error}`
 * with status 200 (the error has no `data`).
 */
export function failureAnswer(id: string | number, error: CallFailure): Response {
  return Response.json({ jsonrpc: "2.0", id, error }, { status: 200 });
}

/**
 * The SDK's answer to a call that returned `result`, or null when the result is not of the shape
 * Kiln's registry produces (then the SDK must project and validate it). The SDK answers
 * `{result, jsonrpc, id}` with status 200 and the result re-built in schema order (`content`,
 * `structuredContent`, `isError`).
 */
export function resultAnswer(id: string | number, r: ToolCallResult): Response | null {
  const result = wireResult(r);
  return result && Response.json({ result, jsonrpc: "2.0", id }, { status: 200 });
}

function wireResult(r: ToolCallResult): ToolCallResult | null {
  for (const key of Object.keys(r)) {
    if (key !== "content" && key !== "structuredContent" && key !== "isError") return null;
  }
  const { content, structuredContent: sc, isError } = r;
  if (!Array.isArray(content)) return null;
  const items: ToolCallResult["content"] = [];
  for (const item of content) {
    if (!isObject(item) || item.type !== "text" || typeof item.text !== "string") return null;
    if (Object.keys(item).length !== 2) return null;
    items.push({ type: "text", text: item.text });
  }
  if (isError !== undefined && typeof isError !== "boolean") return null;
  // A non-object is wrapped by the SDK; a `__proto__` member would be lost in its copy.
  if (sc !== undefined && (!isObject(sc) || Object.hasOwn(sc, "__proto__"))) return null;
  return {
    content: items,
    ...(sc !== undefined ? { structuredContent: sc } : {}),
    ...(isError !== undefined ? { isError } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
