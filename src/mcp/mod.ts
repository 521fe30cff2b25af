/** Kiln's MCP subsystem (SPEC §6): the `/mcp` endpoint, the tool registry, authorization, results. */
export { createMcpEndpoint, MCP_PATHS } from "./endpoint.ts";
export type { McpEndpoint, McpEndpointOptions } from "./endpoint.ts";
export { ToolRegistry } from "./tool_registry.ts";
export type { ToolRegistryDeps } from "./tool_registry.ts";
export { appToolName, parseAppToolName } from "./app_tools.ts";
export type { AppInvoker } from "./app_tools.ts";
export { toolError } from "./_results.ts";
export type { ToolErrorContent } from "./_results.ts";
export type { ToolOutcome, ToolStat } from "./_tool_stats.ts";
export type {
  ToolAnnotations,
  ToolCaller,
  ToolCallResult,
  ToolCatalog,
  ToolContext,
  ToolDefinition,
  ToolListing,
} from "./tool.ts";
