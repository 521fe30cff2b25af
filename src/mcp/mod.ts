/**
 * Kiln's MCP subsystem (contract §6): the `/mcp` endpoint, the tool registry, authorization,
 * results.
 */
export { createMcpEndpoint, MCP_PATHS } from "./lazy_endpoint.ts";
export type { McpEndpoint } from "./endpoint.ts";
export { ToolRegistry } from "./tool_registry.ts";
export type { AppInvoker } from "./app_tools.ts";
export { toolError } from "./_results.ts";
export type { ToolErrorContent } from "./_results.ts";
export type {
  DeltaListener,
  StreamDelta,
  ToolAnnotations,
  ToolCaller,
  ToolCallResult,
  ToolCatalog,
  ToolContext,
  ToolDefinition,
} from "./tool.ts";
