/** Kiln's core MCP tools (SPEC §6): each family over the services it acts through. */
export { coreTools, coreToolSchemas } from "./core_tools.ts";
export type { CoreToolDeps, LinuxCommands } from "./_common.ts";
export type { JitToolDeps } from "./_common.ts";
