/**
 * How `mcp` steps reach tools: core tools through Kiln's one ToolRegistry as an execution
 * principal — a token minted for the workflow that allows exactly the core tools its steps name
 * — and external servers through {@link ExternalMcpServers}.
 */
import { executionPrincipal, type ExecutionTokens } from "../auth/mod.ts";
import { type JsonValue, KilnError } from "../core/mod.ts";
import { type ToolCaller, type ToolCatalog, toolError } from "../mcp/mod.ts";
import { StepFailed } from "./_frame.ts";
import type { ExternalMcpServers } from "./mcp_servers.ts";
import type { McpInvoker } from "./seams.ts";

/** What the MCP invoker calls through. */
export interface McpInvokerDeps {
  tools: ToolCatalog;
  executionTokens: Pick<ExecutionTokens, "mint" | "verify" | "revoke">;
  servers?: ExternalMcpServers;
}

/** The MCP invoker of a Kiln node. */
export function mcpInvoker(deps: McpInvokerDeps): McpInvoker {
  return {
    async call(call) {
      if (call.server) {
        if (!deps.servers) {
          throw new KilnError("UNAVAILABLE", "external MCP servers are not enabled here");
        }
        return await deps.servers.call(
          call.appId,
          call.configuration,
          call.server,
          call.tool,
          call.args,
          call.signal,
        );
      }
      const { token } = deps.executionTokens.mint({
        appId: call.appId,
        componentId: call.workflowId,
        tools: call.coreTools,
        ttlSeconds: 300,
      });
      const caller: ToolCaller = executionPrincipal(deps.executionTokens.verify(token)!);
      let result;
      try {
        result = await deps.tools.call(call.tool, call.args, caller, {
          signal: call.signal,
          requestId: call.runId,
        });
      } finally {
        // The token was for this one call: it ends with it.
        deps.executionTokens.revoke(token);
      }
      const error = toolError(result);
      if (error) {
        throw new StepFailed({
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details as JsonValue }),
        });
      }
      return (result.structuredContent ?? {}) as JsonValue;
    },
  };
}
