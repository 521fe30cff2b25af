import type { z } from "zod";
import type { ToolDefinition } from "../mcp/mod.ts";
import type { CoreToolDeps } from "./_common.ts";
import { filesystemTools } from "./filesystem_tools.ts";
import { jitTools } from "./jit_tools.ts";
import { frameworkTools } from "./framework_tools.ts";
import { linuxTools } from "./linux_tools.ts";
import { llmTools } from "./llm_tools.ts";
import { metricsTools } from "./metrics_tools.ts";
import { registryTools } from "./registry_tools.ts";
import { runtimeTools } from "./runtime_tools.ts";
import { stateTools } from "./state_tools.ts";

/** Every core tool of contract §6, bound to the services they act through. */
export function coreTools(deps: CoreToolDeps): ToolDefinition[] {
  return [
    ...frameworkTools(deps),
    ...stateTools(deps),
    ...runtimeTools(deps),
    ...llmTools(deps),
    ...linuxTools(deps),
    ...filesystemTools(deps),
    ...registryTools(deps),
    ...metricsTools(deps),
    ...jitTools(deps),
  ];
}

/** Stands in for the services when only the tools' schemas are wanted; calling one fails. */
const SCHEMA_ONLY = new Proxy({} as CoreToolDeps, {
  get(_target, prop) {
    throw new Error(`core tools built for their schemas only cannot use ${String(prop)}`);
  },
});

/**
 * The name and zod schemas of every core tool, without any service behind them, so
 * `deno task schemas` can write `schemas/mcp/` from the same definitions the registry serves.
 */
export function coreToolSchemas(): { name: string; input: z.ZodType; output: z.ZodType }[] {
  return coreTools(SCHEMA_ONLY).map((t) => ({
    name: t.name,
    input: t.inputSchema,
    output: t.outputSchema,
  }));
}
