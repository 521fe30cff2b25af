import { VERSION } from "../core/mod.ts";
import { CliError, consoleIo, type Io } from "./_output.ts";

export const HELP = `Kiln ${VERSION}: a runtime host for LLM-native applications

Usage: kiln <command> [options]

Commands:
  serve       Start Kiln (see kiln serve --help)
  app         Register, list and show apps (see kiln app --help)
  jit         Generated code for llm components: list, generate, status, promote, rollback
  sandbox     Build the container tier's images (see kiln sandbox --help)
  cluster     The nodes of a cluster (kiln cluster status)
  version     Print the version

Run "kiln <command> --help" for a command's options.`;

/** Runs the CLI and returns its exit code: 0 success, 1 failed operation, 2 misuse. */
export async function runCli(args: string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    // Each command's module loads only when it runs: `kiln app list` needs no sandbox tiers, and
    // `kiln serve` no Docker client for image builds. The specifiers stay literal so
    // `deno compile` embeds them.
    switch (command) {
      case "serve":
        return await (await import("./serve_command.ts")).serveCommand(rest, io);
      case "app":
        return await (await import("./app_commands.ts")).appCommand(rest, io);
      case "jit":
        return await (await import("./jit_commands.ts")).jitCommand(rest, io);
      case "sandbox":
        return await (await import("./sandbox_commands.ts")).sandboxCommand(rest, io);
      case "cluster":
        return await (await import("./cluster_commands.ts")).clusterCommand(rest, io);
      case "version":
      case "--version":
        io.out(VERSION);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(HELP);
        return command === undefined ? 2 : 0;
      default:
        io.err(`kiln: unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`kiln: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`kiln: ${err.message}`);
      return 2;
    }
    io.err(`kiln: ${(err as Error)?.message ?? err}`);
    return 1;
  }
}
