import { z } from "zod";
import type { ComponentDefinition } from "../models/mod.ts";
import type { AppSnapshot } from "../registry/mod.ts";
import { asObjectSchema } from "./_json_schema.ts";
import type { ToolAnnotations, ToolCaller, ToolDefinition, ToolListing } from "./tool.ts";

/**
 * Runs one component for an app tool call the registry has already authorized (the request
 * router's `invoke`); answers the tool's structured content or throws a KilnError.
 */
export type AppInvoker = (
  appId: string,
  componentId: string,
  input: Record<string, unknown>,
  caller: ToolCaller,
  opts: { signal?: AbortSignal },
) => Promise<Record<string, unknown>>;

/** An app endpoint offered as a tool, with the JSON Schemas its component declares. */
export interface AppTool {
  appId: string;
  componentId: string;
  tool: ToolDefinition;
  listing: ToolListing;
}

const NAME = /^app\.([a-z][a-z0-9-]{0,62})\.([A-Za-z][A-Za-z0-9_-]{0,63})$/;

/** App code can do anything its component does, so clients should treat calls as consequential. */
const ANNOTATIONS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};

/** `app.<appId>.<componentId>` (contract §6). */
export function appToolName(appId: string, componentId: string): string {
  return `app.${appId}.${componentId}`;
}

/** Splits an app tool name; null when the name is not one. */
export function parseAppToolName(name: string): { appId: string; componentId: string } | null {
  const m = NAME.exec(name);
  return m ? { appId: m[1], componentId: m[2] } : null;
}

/** The tools of one app's served snapshot: one per component, each calling `invoke`. */
export function appToolsOf(appId: string, snapshot: AppSnapshot, invoke: AppInvoker): AppTool[] {
  return [...snapshot.components.values()].map((c) => appTool(appId, c, invoke));
}

function appTool(appId: string, component: ComponentDefinition, invoke: AppInvoker): AppTool {
  const name = appToolName(appId, component.componentId);
  const description = component.description ??
    `Invokes component ${component.componentId} (${component.handlerType}) of app ${appId}.`;
  const title = `${component.componentId} (${appId})`;
  const tool: ToolDefinition = {
    name,
    title,
    description,
    scope: "app",
    permission: "invoke",
    annotations: ANNOTATIONS,
    inputSchema: z.record(z.string(), z.unknown()),
    outputSchema: z.record(z.string(), z.unknown()),
    handler: (input, ctx) =>
      invoke(appId, component.componentId, input as Record<string, unknown>, ctx.caller, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      }),
  };
  const listing: ToolListing = {
    name,
    title,
    description,
    inputSchema: inlineSchema(component.inputSchema) ?? { type: "object" },
    outputSchema: inlineSchema(component.outputSchema) ??
      { type: "object", additionalProperties: true },
    annotations: ANNOTATIONS,
  };
  return { appId, componentId: component.componentId, tool, listing };
}

/** A component's inline JSON Schema when it describes an object; file references are not read. */
function inlineSchema(schema: ComponentDefinition["inputSchema"]): Record<string, unknown> | null {
  if (!schema || typeof schema !== "object") return null;
  const { $schema: _, ...rest } = schema as Record<string, unknown>;
  try {
    return asObjectSchema(structuredClone(rest));
  } catch {
    return null;
  }
}
