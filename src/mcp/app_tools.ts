import { z } from "zod";
import type { ComponentDefinition } from "../models/mod.ts";
import type { AppSnapshot, ComponentContract } from "../registry/mod.ts";
import type {
  DeltaListener,
  ToolAnnotations,
  ToolCaller,
  ToolDefinition,
  ToolListing,
} from "./tool.ts";

/**
 * Runs one component for an app tool call the registry has already authorized (the request
 * router's `invoke`); answers the tool's structured content or throws a KilnError.
 */
export type AppInvoker = (
  appId: string,
  componentId: string,
  input: Record<string, unknown>,
  caller: ToolCaller,
  opts: { signal?: AbortSignal; onDelta?: DeltaListener },
) => Promise<Record<string, unknown>>;

/** An app endpoint offered as a tool, with the JSON Schemas its component declares. */
export interface AppTool {
  appId: string;
  componentId: string;
  tool: ToolDefinition;
  listing: ToolListing;
}

const NAME = /^app\.([a-z][a-z0-9-]{0,62})\.([A-Za-z][A-Za-z0-9_-]{0,63})$/;

/** Whether the tool a permission names only reads (its own `readOnlyHint`). */
export type ReadsOnly = (toolName: string) => boolean;

/** `app.<appId>.<componentId>` (contract §6). */
export function appToolName(appId: string, componentId: string): string {
  return `app.${appId}.${componentId}`;
}

/** Splits an app tool name; null when the name is not one. */
export function parseAppToolName(name: string): { appId: string; componentId: string } | null {
  const m = NAME.exec(name);
  return m ? { appId: m[1], componentId: m[2] } : null;
}

/**
 * The tools of one app's served snapshot: one per component, each calling `invoke`, listed with
 * the component's own input and output schemas (files and `$ref`s bundled into one document).
 */
export function appToolsOf(
  appId: string,
  snapshot: AppSnapshot,
  invoke: AppInvoker,
  readsOnly: ReadsOnly,
): AppTool[] {
  return [...snapshot.components.values()].map((c) =>
    appTool(appId, c, snapshot.contracts.get(c.componentId), invoke, readsOnly)
  );
}

function appTool(
  appId: string,
  component: ComponentDefinition,
  contract: ComponentContract | undefined,
  invoke: AppInvoker,
  readsOnly: ReadsOnly,
): AppTool {
  const name = appToolName(appId, component.componentId);
  const description = component.description ??
    `Invokes component ${component.componentId} (${component.handlerType}) of app ${appId}.`;
  const title = `${component.componentId} (${appId})`;
  const annotations = annotationsOf(component, readsOnly);
  const tool: ToolDefinition = {
    name,
    title,
    description,
    scope: "app",
    permission: "invoke",
    annotations,
    // The router checks the component's own schemas, so a failure names the JSON pointers.
    inputSchema: z.record(z.string(), z.unknown()),
    outputSchema: z.record(z.string(), z.unknown()),
    handler: (input, ctx) =>
      invoke(appId, component.componentId, input as Record<string, unknown>, ctx.caller, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.onDelta ? { onDelta: ctx.onDelta } : {}),
      }),
  };
  const listing: ToolListing = {
    name,
    title,
    description,
    inputSchema: inputListing(contract?.input?.schema),
    outputSchema: component.expectedResultFormat === "generic"
      ? outputListing(contract?.output?.schema)
      : { type: "object", additionalProperties: true },
    annotations,
  };
  return { appId, componentId: component.componentId, tool, listing };
}

/**
 * Honest hints: a component reads only when every tool its `permissions` grant reads only and it
 * cannot reach the app's volume (container runtime, Python) or run arbitrary steps (workflows);
 * only a component that may write is destructive. GET-only routes are idempotent by HTTP's
 * contract; an llm component talks to a model outside Kiln.
 */
function annotationsOf(c: ComponentDefinition, readsOnly: ReadsOnly): ToolAnnotations {
  const language = (c.taskDetails as { language?: unknown }).language;
  const writes = c.handlerType === "workflow" || c.runtime === "container" ||
    language === "python" || c.permissions.some((p) => !readsOnly(p));
  const getOnly = c.routeMatcher !== undefined &&
    c.routeMatcher.methods.every((m) => m === "GET" || m === "HEAD");
  return {
    readOnlyHint: !writes,
    destructiveHint: writes,
    idempotentHint: !writes || getOnly,
    openWorldHint: c.handlerType !== "jit",
  };
}

type Json = Record<string, unknown>;
type JsonSchema = NonNullable<ComponentContract["input"]>["schema"];

/**
 * MCP lists an object schema as a tool's input. A component schema that is not one (or has a
 * top-level `anyOf`/`oneOf`, which common LLM tool APIs refuse) is listed as a plain object; the
 * router still checks the input against the real schema.
 */
function inputListing(schema: JsonSchema | undefined): Json {
  if (!isObjectSchema(schema)) return { type: "object" };
  const { $schema: _, ...rest } = schema as Json;
  if ("anyOf" in rest || "oneOf" in rest) return { type: "object" };
  return structuredClone({ type: "object", ...rest });
}

/** Structured content is an object: a result of another shape is wrapped as `{result}`. */
function outputListing(schema: JsonSchema | undefined): Json {
  if (schema === undefined) return { type: "object", additionalProperties: true };
  if (isObjectSchema(schema)) {
    const { $schema: _, ...rest } = schema as Json;
    return structuredClone({ type: "object", ...rest });
  }
  if (typeof schema === "boolean") {
    return { type: "object", properties: { result: schema }, required: ["result"] };
  }
  // `$defs` stay at the top, where the bundled `#/$defs/…` pointers look for them.
  const { $schema: _, $defs, definitions, ...result } = schema;
  return structuredClone({
    type: "object",
    properties: { result },
    required: ["result"],
    ...($defs ? { $defs } : {}),
    ...(definitions ? { definitions } : {}),
  });
}

function isObjectSchema(schema: JsonSchema | undefined): boolean {
  return typeof schema === "object" && schema !== null &&
    (schema.type === "object" || (schema.type === undefined && "properties" in schema));
}
