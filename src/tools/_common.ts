import { z } from "zod";
import { authorOf } from "../auth/mod.ts";
import { KilnError } from "../core/mod.ts";
import type { LlmGateway } from "../llm/mod.ts";
import type { ToolAnnotations, ToolContext, ToolDefinition } from "../mcp/mod.ts";
import type { MetricCollector } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { StateManager } from "../state/mod.ts";
import type { JitService, Oracle } from "../jit/mod.ts";

/** The services core tools act through; handlers read them only when called. */
/** The JIT loop, as the jit tools reach it. */
export interface JitToolDeps {
  service: JitService;
  oracle: Oracle;
}

export interface CoreToolDeps {
  state: StateManager;
  registry: Registry;
  /** The LLM gateway behind `core.llm.generate`; absent, the tool answers LLM_NOT_CONFIGURED. */
  llm?: Pick<LlmGateway, "generate">;
  /** Runs `core.linux.executeCommand` in the app's container; absent on nodes without Docker. */
  linux?: LinuxCommands;
  /** The metric collector behind `core.metrics.*`; absent, those tools answer UNAVAILABLE. */
  metrics?: Pick<
    MetricCollector,
    "add" | "gauge" | "observe" | "query" | "names" | "kindOf" | "now"
  >;
  /**
   * The JIT loop behind `core.jit.*` and `core.optimization.*`: reached through `get()` because
   * the loop calls tools itself, so it is built after the registry serving these, and its code
   * loads on first use (a `Lazy` the composition root sets, or an `OnDemand`).
   */
  jit: { get(): JitToolDeps | Promise<JitToolDeps> };
}

/** The container tier's command runner, as `core.linux.executeCommand` needs it. */
export interface LinuxCommands {
  executeCommand(
    appId: string,
    input: { command: string; arguments: string[]; stdin?: string; timeoutSeconds?: number },
    allowlist: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** Types a tool's handler from its schemas, then widens it for the registry's list. */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(
  tool: ToolDefinition<I, O>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/** The app a call acts on; the registry sets it for every app-scoped tool before the handler. */
export function appOf(ctx: ToolContext): string {
  if (!ctx.appId) throw new KilnError("INTERNAL", "an app-scoped tool ran without an app");
  return ctx.appId;
}

/** The commit author: the one given, else who the caller is. */
export function authorFor(ctx: ToolContext, given: string | undefined): string {
  return given || authorOf(ctx.caller);
}

/** The thrown error of a tool family whose subsystem this node does not run. */
export function notAvailable(what: string, why: string): KilnError {
  return new KilnError("UNAVAILABLE", `${what} is not available on this node: ${why}`);
}

/**
 * A check that exactly one of `keys` is given. Tools take such alternatives as one object with
 * optional members rather than a union: a union is a top-level `anyOf` in the tool's JSON
 * Schema, which common LLM tool APIs refuse.
 */
export function exactlyOne(keys: readonly string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: "custom",
      message: given.length === 0
        ? `give one of ${keys.join(", ")}`
        : `give only one of ${keys.join(", ")} (got ${given.join(", ")})`,
      path: given.length === 0 ? [] : [given[1]],
    });
  };
}

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
};

/** Overwrites or removes data; repeating the call changes nothing more. */
export const OVERWRITES: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
};

/** Changes data relative to what is there, so a retry is not safe. */
export const EDITS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
};

/** Adds without destroying, but every call counts. */
export const APPENDS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
};

/** Any JSON value (runtime values and configuration). */
export const JsonValue = z.json().meta({ id: "JsonValue" });

/** A full commit id, as returned by every write. */
export const Revision = z.string().regex(/^[0-9a-f]{40}$/, "a full 40-hex commit id");

/** A path relative to the app's `state/` folder. */
export const StatePath = z.string().min(1).max(512).describe("a path relative to state/");

/** Fields every definition write takes. */
export const WriteMeta = {
  commitMessage: z.string().min(1).max(4000),
  author: z.string().max(300).optional().describe(
    '"Name <email>"; defaults to who the token belongs to',
  ),
};

/** What every definition write answers. */
export const WriteOutput = z.object({
  success: z.literal(true),
  resultingRevision: Revision,
});
