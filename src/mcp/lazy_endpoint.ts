import type { McpEndpoint, McpEndpointOptions } from "./endpoint.ts";
import { RESOURCE_METADATA_PATH } from "./_resource_metadata.ts";

/** The paths the HTTP app hands to the MCP endpoint. */
export const MCP_PATHS = ["/mcp", RESOURCE_METADATA_PATH, `${RESOURCE_METADATA_PATH}/mcp`];

/**
 * `/mcp` as Kiln serves it: the endpoint (and the MCP server SDK under it) loads on the first
 * request rather than at start, so a node nobody calls over MCP never holds it. Requests that
 * arrive while it loads wait for it. The specifier stays literal so `deno compile` embeds it.
 */
export function createMcpEndpoint(opts: McpEndpointOptions): McpEndpoint {
  let endpoint: McpEndpoint | undefined;
  let loading: Promise<McpEndpoint> | undefined;
  let closed = false;
  const load = () =>
    loading ??= import("./endpoint.ts").then(async (m) => {
      const made = m.createMcpEndpoint(opts);
      // Closed while loading: the endpoint exists only to answer that it is shut down.
      if (closed) await made.close();
      return endpoint = made;
    }, (err) => {
      loading = undefined;
      throw err;
    });
  return {
    handle(req) {
      return endpoint ? endpoint.handle(req) : load().then((e) => e.handle(req));
    },
    async close() {
      closed = true;
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
    get sessionCount() {
      return endpoint?.sessionCount ?? 0;
    },
  };
}
