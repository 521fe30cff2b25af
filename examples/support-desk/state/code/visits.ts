import { log, mcp } from "kiln:sdk";

/**
 * GET /visits: counts calls in the app's runtime state through MCP, the one way sandboxed code
 * reaches Kiln; the execution token allows exactly the tools listed under `permissions`.
 */
export async function visits(_requestData: unknown, _context: unknown) {
  const { value } = await mcp.call("core.state.incrementRuntimeValue", { key: "visits" }) as {
    value: number;
  };
  log.info("visit counted", { visits: value });
  return { visits: value };
}
