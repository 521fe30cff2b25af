/** Kiln's core MCP tools (contract §6): each family over the services it acts through. */
export { coreTools, coreToolSchemas } from "./core_tools.ts";
