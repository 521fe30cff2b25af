import { appPath } from "./_client.ts";
import { runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  create: {
    args: "APP COMPONENT",
    summary: "Mint a short-lived execution token allowing the component's MCP tools",
    options: { ttl: { type: "string", help: "Lifetime in seconds" } },
    async run({ args: [appId, componentId], opts, api, print }) {
      const ttl = opts.ttl === undefined ? undefined : Number(opts.ttl);
      if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) {
        throw new CliError(
          `--ttl must be a whole number of seconds, got "${opts.ttl}"`,
          EXIT.USAGE,
        );
      }
      const r = await api("POST", appPath(appId, "/execution-tokens"), {
        componentId,
        ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      }) as { token: string; expiresAt: string; tools: string[] };
      print(r, () => `${r.token}\nexpires ${r.expiresAt}; tools: ${r.tools.join(", ") || "none"}`);
      return 0;
    },
  },
};

/** `kiln tokens …`: execution tokens. */
export function tokensCommand(args: string[], io: Io): Promise<number> {
  return runGroup("tokens", "Execution tokens for one component.", SUBCOMMANDS, args, io);
}
