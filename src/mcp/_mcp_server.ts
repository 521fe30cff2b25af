import {
  type AuthInfo,
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
  type Tool,
} from "@modelcontextprotocol/server";
import { KilnError, type Logger, toKilnError } from "../core/mod.ts";
import type { DeltaListener, ToolCaller, ToolCallResult, ToolCatalog } from "./tool.ts";

/** What every per-request or per-session MCP server is built from. */
export interface McpServerDeps {
  catalog: ToolCatalog;
  version: string;
  log: Logger;
}

/** The authenticated caller travels to handlers inside the SDK's `authInfo`. */
export function callerAuthInfo(caller: ToolCaller, identity: string): AuthInfo {
  return { token: "", clientId: identity, scopes: [], extra: { caller } };
}

/**
 * Builds one low-level SDK `Server` over the tool catalog. The SDK forbids reusing a server
 * across stateless exchanges, so this runs per stateless request and once per session; it only
 * wires handlers (a few microseconds), the catalog holds all state.
 */
export function buildMcpServer(deps: McpServerDeps, session = false): Server {
  const server = new KilnServer(
    { name: "kiln", title: "Kiln", version: deps.version },
    {
      capabilities: { tools: { listChanged: true }, logging: {} },
      ...(session ? { debouncedNotificationMethods: ["notifications/tools/list_changed"] } : {}),
    },
  );
  server.setRequestHandler("tools/list", (_req, ctx) => {
    try {
      return { tools: deps.catalog.list(callerOf(ctx)) as Tool[] };
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      deps.log.error("mcp tools/list failed", { error: String(err) });
      throw new ProtocolError(ProtocolErrorCode.InternalError, "internal error");
    }
  });
  server.setRequestHandler("tools/call", async (req, ctx) => {
    const { name, arguments: args, _meta } = req.params;
    const token = _meta?.progressToken;
    const onDelta = token === undefined ? undefined : progress(token, ctx);
    const out = await callTool(deps, name, args ?? {}, callerOf(ctx), ctx.mcpReq.signal, onDelta);
    if ("error" in out) throw new ProtocolError(out.error.code, out.error.message);
    return server.projectCallToolResult(out.result as CallToolResult, undefined);
  });
  return server;
}

/**
 * The SDK validates the params of spec methods before their handler runs, but reports a mismatch
 * as a plain Error — an internal error (-32603) carrying zod's raw dump. Every handler Kiln
 * registers throws only ProtocolErrors, so a plain Error is that validation: answered here as
 * invalid params (-32602) with one readable line.
 */
class KilnServer extends Server {
  protected override _wrapHandler(
    method: string,
    handler: Parameters<Server["_wrapHandler"]>[1],
  ): ReturnType<Server["_wrapHandler"]> {
    const wrapped = super._wrapHandler(method, handler);
    return async (request, ctx) => {
      try {
        return await wrapped(request, ctx);
      } catch (err) {
        if (err instanceof ProtocolError || !(err instanceof Error)) throw err;
        if (typeof (err as { code?: unknown }).code === "number") throw err;
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, invalidParams(method, err));
      }
    };
  }
}

/** `invalid params for logging/setLevel: params.level: Invalid option …` from zod's dump. */
function invalidParams(method: string, err: Error): string {
  let detail = err.message;
  try {
    const issues = JSON.parse(err.message) as { path?: unknown[]; message?: string }[];
    detail = issues.slice(0, 3).map((i) =>
      `${(i.path ?? []).map(String).join(".") || "params"}: ${i.message ?? "invalid"}`
    ).join("; ");
  } catch { /* not zod's JSON: keep the message */ }
  return `invalid params for ${method}: ${detail.slice(0, 300)}`;
}

/**
 * Streamed pieces of a tool's answer as `notifications/progress` on the call's own stream, for a
 * caller that gave a `progressToken`: `message` is the new text, `progress` the characters so far
 * (it only grows, also across a repair attempt, which a `message` starting with a blank line
 * marks). A notification that cannot be delivered is dropped; the result still comes.
 */
function progress(token: string | number, ctx: ServerContext): DeltaListener {
  let chars = 0;
  let attempt = 1;
  return ({ text, attempt: now }) => {
    const restart = now !== attempt;
    attempt = now;
    chars += text.length;
    ctx.mcpReq.notify({
      method: "notifications/progress",
      params: { progressToken: token, progress: chars, message: restart ? `\n\n${text}` : text },
    }).catch(() => {});
  };
}

function callerOf(ctx: ServerContext): ToolCaller {
  const caller = ctx.http?.authInfo?.extra?.caller as ToolCaller | undefined;
  if (!caller) throw new ProtocolError(ProtocolErrorCode.InternalError, "no authenticated caller");
  return caller;
}

/** How a tool call ends on the wire: a result, or the JSON-RPC error the SDK would answer. */
export type CallOutcome = { result: ToolCallResult } | { error: CallFailure };

/** A JSON-RPC error a tool call ends in. */
export interface CallFailure {
  code: number;
  message: string;
}

/**
 * Runs a tool through the catalog. An unknown tool is a protocol error (`-32602`, as the SDK's own
 * McpServer answers); every other Kiln failure, FORBIDDEN included, is an `isError` result the
 * model can read; anything unexpected is an internal error that reveals nothing.
 */
export async function callTool(
  deps: McpServerDeps,
  name: string,
  args: unknown,
  caller: ToolCaller,
  signal?: AbortSignal,
  onDelta?: DeltaListener,
): Promise<CallOutcome> {
  try {
    return {
      result: await deps.catalog.call(name, args, caller, {
        ...(signal ? { signal } : {}),
        ...(onDelta ? { onDelta } : {}),
      }),
    };
  } catch (err) {
    if (err instanceof KilnError && err.code === "NOT_FOUND") {
      return { error: { code: ProtocolErrorCode.InvalidParams, message: err.message } };
    }
    const kiln = toKilnError(err);
    if (kiln.code === "INTERNAL") {
      deps.log.error("mcp tool call failed", { tool: name, error: String(err) });
      return { error: { code: ProtocolErrorCode.InternalError, message: "internal error" } };
    }
    return { result: errorResult(kiln) };
  }
}

/**
 * A Kiln error as an MCP tool result: `isError` with the error envelope as text. No
 * `structuredContent`: SDK 1.x clients validate it against the tool's output schema even on
 * errors, and the envelope would not match.
 */
export function errorResult(err: KilnError): ToolCallResult {
  return { content: [{ type: "text", text: JSON.stringify(err.toJSON()) }], isError: true };
}
