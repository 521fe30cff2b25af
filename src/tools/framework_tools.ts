import { z } from "zod";
import { ComponentId } from "../models/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import { APPENDS, appOf, type CoreToolDeps, defineTool, JsonValue, READ_ONLY } from "./_common.ts";

/** The largest log message, in characters. */
export const MAX_LOG_MESSAGE = 8 * 1024;
/** The largest log `fields` object, as JSON characters. */
export const MAX_LOG_FIELDS = 16 * 1024;

/** Framework tools (contract §6): configuration lookup and logging on behalf of app code. */
export function frameworkTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.framework.getConfigValue",
      title: "Read a configuration value",
      description: "Looks up a configuration value (a dotted key such as llm.model): the " +
        "component's configurationOverrides first, then the app's configuration, then Kiln's " +
        "global configuration. An execution token looks up its own component by default.",
      scope: "app",
      permission: "app:read",
      annotations: READ_ONLY,
      inputSchema: z.strictObject({
        key: z.string().min(1).max(512),
        componentId: ComponentId.optional(),
      }),
      outputSchema: z.object({
        found: z.boolean(),
        value: JsonValue.optional(),
        source: z.enum(["component", "app", "global"]).optional(),
      }),
      handler: (input, ctx) => {
        const componentId = input.componentId ??
          (ctx.caller.kind === "execution" ? ctx.caller.componentId : undefined);
        const hit = deps.registry.getAppConfigurationValue(appOf(ctx), input.key, componentId);
        return Promise.resolve(hit as { found: boolean; value?: z.input<typeof JsonValue> });
      },
    }),
    defineTool({
      name: "core.framework.logFrameworkMessage",
      title: "Write a log line",
      description: "Writes one structured line to Kiln's log, tagged with the app and " +
        `component. Messages are capped at ${MAX_LOG_MESSAGE} characters and fields at ` +
        `${MAX_LOG_FIELDS} characters of JSON.`,
      scope: "app",
      permission: "log:write",
      annotations: APPENDS,
      inputSchema: z.strictObject({
        level: z.enum(["debug", "info", "warn", "error"]),
        message: z.string().max(MAX_LOG_MESSAGE),
        fields: z.record(z.string(), JsonValue).optional().refine(
          (f) => f === undefined || JSON.stringify(f).length <= MAX_LOG_FIELDS,
          `fields must be at most ${MAX_LOG_FIELDS} characters as JSON`,
        ),
      }),
      outputSchema: z.object({ logged: z.literal(true) }),
      handler: (input, ctx) => {
        const componentId = ctx.caller.kind === "execution" ? ctx.caller.componentId : undefined;
        ctx.log[input.level](input.message, {
          source: "app",
          appId: appOf(ctx),
          ...(componentId ? { componentId } : {}),
          ...(input.fields ? { fields: input.fields } : {}),
        });
        return Promise.resolve({ logged: true as const });
      },
    }),
  ];
}
