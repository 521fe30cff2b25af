/**
 * The sandbox-side SDK: what component code imports as `kiln:sdk` in every tier (isolate, wasm,
 * and the container's Deno runner). The tier defines `globalThis.__kiln` for each execution, bound
 * to that execution's token, before the component's module runs; this module only gives it types.
 * Kiln embeds this file as text and bundles it with each component, so the types authors check
 * against are exactly the code that runs.
 *
 * ```ts
 * import { type Context, log, mcp, type RequestData } from "kiln:sdk";
 *
 * export async function handler(requestData: RequestData, context: Context) {
 *   const { value } = await mcp.call("core.state.getRuntimeValue", { key: "visits" });
 *   log.info("read visits", { appId: context.appId });
 *   return { visits: value ?? 0 };
 * }
 * ```
 */
import type { ExecutionContext, RequestData as Data } from "../src/models/mod.ts";

/** What started this execution (`requestData` of contract §5): HTTP details, trigger, cron, ... */
export type RequestData = Data;
/**
 * Who and where this execution is (`context` of contract §5): app, component, configuration, ...
 */
export type Context = ExecutionContext;

/** An MCP tool failure as the guest sees it: `code` is Kiln's (`FORBIDDEN`, `NOT_FOUND`, ...). */
export interface ToolError extends Error {
  code: string;
}

export interface Mcp {
  /**
   * Calls a Kiln MCP tool as this execution: allowed only for tools the component's
   * `permissions` grant. Resolves to the tool's `structuredContent`; rejects with a ToolError.
   */
  // deno-lint-ignore no-explicit-any
  call<T = any>(tool: string, params?: unknown): Promise<T>;
}

/** Structured log lines, kept with the execution's request id (console output is kept too). */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

interface KilnGlobal {
  mcp: Mcp;
  log: Log;
}

function kiln(): KilnGlobal {
  const k = (globalThis as { __kiln?: KilnGlobal }).__kiln;
  if (!k) throw new Error("kiln:sdk is only available inside a Kiln sandbox");
  return k;
}

export const mcp: Mcp = { call: (tool, params) => kiln().mcp.call(tool, params) };

export const log: Log = {
  debug: (message, fields) => kiln().log.debug(message, fields),
  info: (message, fields) => kiln().log.info(message, fields),
  warn: (message, fields) => kiln().log.warn(message, fields),
  error: (message, fields) => kiln().log.error(message, fields),
};

/**
 * The caller's data of one execution, the way an llm component's prompt sees it as `input`:
 * `requestData.input` for internal and workflow calls, else the HTTP body — parsed as JSON
 * when it is JSON, else the text — else the query parameters. Generated JIT handlers receive
 * exactly this, so code that replaces a prompt gets what the prompt got.
 */
export function payload(requestData: RequestData): unknown {
  if (requestData.input !== undefined) return requestData.input;
  const http = requestData.httpDetails;
  if (!http) return {};
  if (http.body === null || http.body === "") return { ...http.queryParameters };
  const text = http.bodyEncoding === "base64"
    ? new TextDecoder().decode(Uint8Array.from(atob(http.body), (c) => c.charCodeAt(0)))
    : http.body;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
