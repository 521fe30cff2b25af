import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { VERSION } from "../core/mod.ts";
import { tokenOf } from "./_client.ts";
import { type Context, jsonArg, runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, type Io, table } from "./_output.ts";

interface Content {
  type: string;
  text?: string;
}

/** An MCP session on Kiln's `/mcp` with the official SDK client; closed after `use`. */
async function withClient<T>(ctx: Context, use: (client: Client) => Promise<T>): Promise<T> {
  const remote = await ctx.remote();
  const client = new Client({ name: "kiln-cli", version: VERSION });
  const url = new URL("/mcp", remote.url);
  // The admin token is bound to no app: `?app=` selects the one app-scoped tools act on.
  if (ctx.opts.app) url.searchParams.set("app", String(ctx.opts.app));
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${tokenOf(remote)}` } },
  });
  try {
    await client.connect(transport);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const auth = /\b401\b|unauthori[sz]ed|\b403\b|forbidden/i.test(message);
    throw new CliError(
      `cannot open an MCP session at ${remote.url}/mcp: ${message}`,
      auth ? EXIT.AUTH : EXIT.FAILED,
    );
  }
  try {
    return await use(client);
  } finally {
    await client.close().catch(() => {});
  }
}

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  list: {
    args: "",
    summary: "Every MCP tool this token may call",
    options: { app: { type: "string", help: "Bind the admin's session to this app" } },
    async run(ctx) {
      const tools = await withClient(ctx, async (client) => {
        const all = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : {});
          all.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor);
        return all;
      });
      ctx.print(tools, () =>
        table(
          ["TOOL", "DESCRIPTION"],
          tools.map((t) => [t.name, (t.description ?? "").split("\n")[0].slice(0, 100)]),
        ));
      return 0;
    },
  },
  call: {
    args: "TOOL",
    summary: "Call a tool; exit 1 when the result is an error",
    options: {
      args: { type: "string", help: "The tool's arguments, a JSON object" },
      app: { type: "string", help: "Bind the admin's session to this app" },
    },
    async run(ctx) {
      const [name] = ctx.args;
      const args = ctx.opts.args === undefined ? {} : jsonArg(String(ctx.opts.args), "--args");
      if (typeof args !== "object" || args === null || Array.isArray(args)) {
        throw new CliError("--args must be a JSON object", EXIT.USAGE);
      }
      const result = await withClient(
        ctx,
        (client) => client.callTool({ name, arguments: args as Record<string, unknown> }),
      );
      ctx.print(result, () => {
        const text = ((result.content ?? []) as Content[])
          .map((c) => c.type === "text" ? c.text : `[${c.type}]`).join("\n");
        return result.structuredContent && !result.isError
          ? JSON.stringify(result.structuredContent, null, 2)
          : text;
      });
      return result.isError ? EXIT.FAILED : EXIT.OK;
    },
  },
};

/** `kiln tools …`: Kiln's MCP tools over `/mcp`. */
export function toolsCommand(args: string[], io: Io): Promise<number> {
  return runGroup("tools", "Kiln's MCP tools, over /mcp.", SUBCOMMANDS, args, io);
}
