/**
 * External MCP servers an app declares in `configuration.mcpServers` — a stdio command or a
 * Streamable HTTP URL — reached with the official SDK client. Clients are kept per app and
 * declaration and closed when the declaration changes. Running a command on the host is the
 * operator's decision: only commands on the allowlist start.
 */
import type { Client } from "@modelcontextprotocol/sdk/client";
// The 1.x package maps `./*` types to `*.js.d.ts`, which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import type { StdioClientTransport as StdioTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import type { StreamableHTTPClientTransport as HttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { type JsonValue, KilnError, type Logger, quote } from "../core/mod.ts";
import { StepFailed } from "./_frame.ts";

/** One declared server. `env` is added to a minimal default environment, never Kiln's own. */
export const McpServerDeclaration = z.union([
  z.object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
  }).strict(),
  z.object({
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).optional(),
  }).strict(),
]);
export type McpServerDeclaration = z.infer<typeof McpServerDeclaration>;

/** Who may be started and how the client introduces itself. */
export interface ExternalMcpOptions {
  /** Commands stdio servers may run (exact strings); `"*"` allows any. Default: none. */
  allowCommands?: readonly string[] | "*";
  logger: Logger;
  version: string;
}

interface Entry {
  key: string;
  client: Promise<Client>;
}

/** The pool of external MCP clients of one Kiln node. */
export class ExternalMcpServers {
  readonly #entries = new Map<string, Entry>();
  readonly #o: ExternalMcpOptions;

  constructor(opts: ExternalMcpOptions) {
    this.#o = opts;
  }

  /** Calls `tool` on server `server` of `appId`; a tool's `isError` answer is a step failure. */
  async call(
    appId: string,
    configuration: Record<string, unknown>,
    server: string,
    tool: string,
    args: Record<string, JsonValue>,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const client = await this.#client(appId, server, configuration);
    const result = await client.callTool({ name: tool, arguments: args }, undefined, { signal });
    const content = (result.content ?? []) as { type: string; text?: string }[];
    if (result.isError) {
      const text = content.map((c) => c.text ?? "").join("\n").slice(0, 2000);
      throw new StepFailed({
        code: "MCP_TOOL_ERROR",
        message: `tool ${quote(tool)} of MCP server ${quote(server)} failed: ${text}`,
      });
    }
    return (result.structuredContent ?? { content }) as JsonValue;
  }

  /** Closes every client (and stops stdio servers). */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((e) => e.client.then((c) => c.close()).catch(() => {})));
  }

  #client(appId: string, server: string, configuration: Record<string, unknown>): Promise<Client> {
    const declared = (configuration.mcpServers as Record<string, unknown> | undefined)?.[server];
    if (declared === undefined) {
      throw new KilnError(
        "NOT_FOUND",
        `app ${quote(appId)} declares no MCP server ${quote(server)} in configuration.mcpServers`,
      );
    }
    const parsed = McpServerDeclaration.safeParse(declared);
    if (!parsed.success) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `configuration.mcpServers.${server} of app ${quote(appId)} is invalid: ${
          parsed.error.issues[0].message
        }`,
      );
    }
    const slot = `${appId}\n${server}`;
    const key = JSON.stringify(parsed.data);
    const existing = this.#entries.get(slot);
    if (existing?.key === key) return existing.client;
    existing?.client.then((c) => c.close()).catch(() => {});
    const client = this.#connect(parsed.data);
    client.catch(() => this.#entries.get(slot)?.client === client && this.#entries.delete(slot));
    this.#entries.set(slot, { key, client });
    return client;
  }

  async #connect(decl: McpServerDeclaration): Promise<Client> {
    // The SDK client loads on the first connection: most Kiln nodes never make one.
    const { Client } = await import("@modelcontextprotocol/sdk/client");
    const client = new Client({ name: "kiln-workflow", version: this.#o.version });
    if ("command" in decl) {
      const allow = this.#o.allowCommands ?? [];
      if (allow !== "*" && !allow.includes(decl.command)) {
        throw new KilnError(
          "FORBIDDEN",
          `the operator has not allowed MCP server command ${quote(decl.command)}`,
        );
      }
      // Loaded on first use: the stdio transport reads the environment as it loads.
      const { StdioClientTransport } = await import(
        "@modelcontextprotocol/sdk/client/stdio.js"
      ) as { StdioClientTransport: typeof StdioTransport };
      const transport = new StdioClientTransport({
        command: decl.command,
        args: decl.args,
        ...(decl.env ? { env: { ...defaultEnv(), ...decl.env } } : {}),
        stderr: "ignore",
      });
      await client.connect(transport);
    } else {
      const { StreamableHTTPClientTransport } = await import(
        "@modelcontextprotocol/sdk/client/streamableHttp.js"
      ) as { StreamableHTTPClientTransport: typeof HttpTransport };
      const transport = new StreamableHTTPClientTransport(new URL(decl.url), {
        requestInit: { headers: decl.headers ?? {} },
      });
      await client.connect(transport);
    }
    return client;
  }
}

function defaultEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["HOME", "PATH", "USER", "LANG", "TERM", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
