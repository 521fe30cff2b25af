import { z } from "zod";
import type { JsonValue as Json } from "../core/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import {
  APPENDS,
  appOf,
  type CoreToolDeps,
  defineTool,
  JsonValue,
  OVERWRITES,
  READ_ONLY,
} from "./_common.ts";

const Key = z.string().min(1).max(512).describe("a key of the app's runtime state");
const Ttl = z.number().positive().max(10 * 365 * 24 * 3600).describe("seconds until it expires");

/** Runtime-state tools (contract §3): JSON values per app, with TTL and atomic increments. */
export function runtimeTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.state.setRuntimeValue",
      title: "Store a runtime value",
      description: "Stores a JSON value under a key of the app's runtime state, replacing any " +
        "value there; ttlSeconds makes it expire.",
      scope: "app",
      permission: "runtime:write",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({ key: Key, value: JsonValue, ttlSeconds: Ttl.optional() }),
      outputSchema: z.object({ success: z.literal(true) }),
      handler: async (input, ctx) => {
        await deps.state.runtime.setRuntimeValue(
          appOf(ctx),
          input.key,
          input.value as Json,
          input.ttlSeconds,
        );
        return { success: true as const };
      },
    }),
    defineTool({
      name: "core.state.getRuntimeValue",
      title: "Read a runtime value",
      description: "Reads a value of the app's runtime state; `value` is present only when found.",
      scope: "app",
      permission: "runtime:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({ key: Key }),
      outputSchema: z.object({ found: z.boolean(), value: JsonValue.optional() }),
      handler: (input, ctx) => deps.state.runtime.getRuntimeValue(appOf(ctx), input.key),
    }),
    defineTool({
      name: "core.state.deleteRuntimeValue",
      title: "Delete a runtime value",
      description: "Removes a value of the app's runtime state; `deleted` says whether it existed.",
      scope: "app",
      permission: "runtime:write",
      annotations: OVERWRITES,
      inputSchema: z.strictObject({ key: Key }),
      outputSchema: z.object({ deleted: z.boolean() }),
      handler: (input, ctx) => deps.state.runtime.deleteRuntimeValue(appOf(ctx), input.key),
    }),
    defineTool({
      name: "core.state.incrementRuntimeValue",
      title: "Increment a runtime counter",
      description: "Atomically adds `by` (default 1) to a numeric runtime value, a missing one " +
        "counting as 0, and returns the new value; safe under concurrent callers.",
      scope: "app",
      permission: "runtime:write",
      annotations: APPENDS,
      inputSchema: z.strictObject({
        key: Key,
        by: z.number().default(1),
        ttlSeconds: Ttl.optional(),
      }),
      outputSchema: z.object({ value: z.number() }),
      handler: (input, ctx) =>
        deps.state.runtime.incrementRuntimeValue(appOf(ctx), input.key, input.by, input.ttlSeconds),
    }),
  ];
}
