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

/**
 * One piece of a tool's answer streamed before its result (an LLM's text as the model writes
 * it). `attempt` 2 starts the text over; `recording` says it is replayed from a cassette.
 */
export interface StreamDelta {
  text: string;
  attempt: number;
  recording: boolean;
}

/** Hears a tool's streamed pieces; a throw (a budget crossed) aborts the tool with that error. */
export type DeltaListener = (delta: StreamDelta) => void;

/** What a tool call may carry besides its arguments and caller. */
export interface ToolCallOptions {
  signal?: AbortSignal;
  requestId?: string;
  /** Set when the caller takes a streamed answer (ingress SSE, MCP progress, a run's events). */
  onDelta?: DeltaListener;
}

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  caller: ToolCaller;
  /** The app this call acts on; set for every app-scoped tool, absent for admin-only ones. */
  appId?: string;
  log: Logger;
  signal?: AbortSignal;
  /** Where a tool that streams passes its pieces; absent when the caller takes only the result. */
  onDelta?: DeltaListener;
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
    opts?: ToolCallOptions,
  ): Promise<ToolCallResult>;
  /** Subscribes to changes of the tool set (apps registered, deregistered, (de)activated). */
  onListChanged(listener: () => void): () => void;
}
