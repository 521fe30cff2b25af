import { VERSION } from "../core/mod.ts";
import { COMMANDS } from "./_catalog.ts";
import { CliError, consoleIo, EXIT, type Io } from "./_output.ts";

export const HELP = `Kiln ${VERSION}: a runtime host for LLM-native applications

Usage: kiln <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join("\n")}

Every command that talks to Kiln takes --url, --token, --profile and --json.
Exit codes: 0 ok, 1 failed, 2 misuse, 3 token refused, 4 not found, 5 conflict (docs/cli.md).
Run "kiln <command> --help" for a command's options.`;

type Run = (args: string[], io: Io) => Promise<number>;

/** Loads a command's module only when it runs; the specifiers stay literal for `deno compile`. */
const LOADERS: Record<string, () => Promise<Run>> = {
  serve: async () => (await import("./serve_command.ts")).serveCommand,
  dev: async () => (await import("./dev_command.ts")).devCommand,
  login: async () => (await import("./login_command.ts")).loginCommand,
  app: async () => (await import("./app_commands.ts")).appCommand,
  keys: async () => (await import("./keys_commands.ts")).keysCommand,
  tokens: async () => (await import("./tokens_commands.ts")).tokensCommand,
  defs: async () => (await import("./defs_commands.ts")).defsCommand,
  state: async () => (await import("./state_commands.ts")).stateCommand,
  runs: async () => (await import("./runs_commands.ts")).runsCommand,
  metrics: async () => (await import("./metrics_commands.ts")).metricsCommand,
  tools: async () => (await import("./tools_commands.ts")).toolsCommand,
  jit: async () => (await import("./jit_commands.ts")).jitCommand,
  sandbox: async () => (await import("./sandbox_commands.ts")).sandboxCommand,
  completions: async () => (await import("./completions_command.ts")).completionsCommand,
  cluster: async () => (await import("./cluster_commands.ts")).clusterCommand,
  wit: async () => (await import("./wit_command.ts")).witCommand,
  // Hidden from help and completions: app repositories' pre-receive hooks run it.
  "git-hook": async () => (await import("./git_hook_command.ts")).gitHookCommand,
};

/** Runs the CLI and returns its exit code (see EXIT in `_output.ts` and docs/cli.md). */
export async function runCli(args: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command !== undefined && Object.hasOwn(LOADERS, command)) {
      return await (await LOADERS[command]())(rest, io);
    }
    switch (command) {
      case "version":
      case "--version":
        if (rest.some((a) => a !== "--json")) {
          throw new CliError(`usage: kiln version [--json]`, EXIT.USAGE);
        }
        if (rest.includes("--json")) {
          io.out(JSON.stringify({ version: VERSION, deno: Deno.version.deno }, null, 2));
        } else io.out(VERSION);
        return EXIT.OK;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(HELP);
        return command === undefined ? EXIT.USAGE : EXIT.OK;
      default:
        io.err(`kiln: unknown command "${command}"\n\n${HELP}`);
        return EXIT.USAGE;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`kiln: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`kiln: ${err.message}`);
      return EXIT.USAGE;
    }
    io.err(`kiln: ${(err as Error)?.message ?? err}`);
    return EXIT.FAILED;
  }
}
