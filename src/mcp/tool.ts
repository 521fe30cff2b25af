import type { z } from "zod";
import type { Principal } from "../auth/mod.ts";
import type { Logger } from "../core/mod.ts";

/**
 * Who is calling a tool, already authenticated. The appId of every app-scoped call comes from
 * here (the token, or for the admin an explicit app selection), never from tool arguments.
 */
export type ToolCaller =
  | { kind: "admin"; appId?: string }
  | Exclude<Principal, { kind: "admin" }>;

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  caller: ToolCaller;
  /** The app this call acts on; set for every app-scoped tool, absent for admin-only ones. */
  appId?: string;
  log: Logger;
  signal?: AbortSignal;
}

/** MCP tool annotations (hints for clients). */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint?: boolean;
}

/**
 * One tool of the registry. `scope: "app"` tools act on the caller's app and need `permission`
 * on it (app keys) or their name in the token's tool list (execution tokens); `scope: "admin"`
 * tools need the admin token; `scope: "registry-read"` tools read registry facts about the
 * caller's own app (admin: any app).
 */
export interface ToolDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  scope: "app" | "admin" | "registry-read";
  /** The app-key permission that grants this tool (e.g. `definitions:read`). */
  permission: string;
  /** Other names the tool answers to (contract §6 aliases). */
  aliases?: readonly string[];
  handler(input: z.output<I>, ctx: ToolContext): Promise<z.input<O>>;
}

/** A tool as listed to one caller: JSON Schemas already generated. */
export interface ToolListing {
  name: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: ToolAnnotations;
}

/** An MCP `tools/call` result: structured content plus a text copy, `isError` for business errors. */
export interface ToolCallResult {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * The one tool registry every caller goes through: MCP over HTTP, in-process tiers and the
 * oracle. Authorization happens here, so no path can skip it.
 */
export interface ToolCatalog {
  /** The tools this caller may call, core and `app.<appId>.<componentId>`, aliases included. */
  list(caller: ToolCaller): ToolListing[];
  /** Validates, authorizes and runs a tool; business failures come back as `isError` results. */
  call(
    name: string,
    args: unknown,
    caller: ToolCaller,
    opts?: { signal?: AbortSignal; requestId?: string },
  ): Promise<ToolCallResult>;
  /** Subscribes to changes of the tool set (apps registered, deregistered, (de)activated). */
  onListChanged(listener: () => void): () => void;
}
