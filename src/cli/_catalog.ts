import type { Subcommand } from "./_command.ts";

/** A top-level command: its summary, and its subcommands for help and shell completion. */
export interface CommandInfo {
  name: string;
  summary: string;
  /** Subcommands built with runGroup, loaded only when completions need them. */
  subcommands?: () => Promise<Record<string, Subcommand>>;
  /** Subcommand names of commands that parse their own arguments. */
  words?: string[];
  /** Options of commands that parse their own arguments. */
  options?: string[];
}

/**
 * Every top-level command, in help order. The module specifiers stay literal so `deno compile`
 * embeds them.
 */
export const COMMANDS: CommandInfo[] = [
  {
    name: "serve",
    summary: "Start Kiln (see kiln serve --help)",
    options: ["port", "host", "data-dir", "store", "no-example", "help"],
  },
  {
    name: "dev",
    summary: "Serve the app in a directory with hot reload (see kiln dev --help)",
    options: ["port", "host", "data-dir", "record", "provider", "model", "base-url", "help"],
  },
  {
    name: "login",
    summary: "Check and save a URL and token as a profile",
    options: ["url", "token", "profile", "list", "json", "help"],
  },
  {
    name: "app",
    summary: "Create and test apps; register, inspect, activate, deactivate, deregister",
    subcommands: async () => (await import("./app_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "keys",
    summary: "App API keys: create, list, revoke",
    subcommands: async () => (await import("./keys_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "tokens",
    summary: "Execution tokens: create",
    subcommands: async () => (await import("./tokens_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "defs",
    summary: "Definition files: get, put, diff, history, revert",
    subcommands: async () => (await import("./defs_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "state",
    summary: "Runtime state: list, get, set, delete",
    subcommands: async () => (await import("./state_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "runs",
    summary: "Workflow runs: start, list, show, watch, cancel",
    subcommands: async () => (await import("./runs_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "metrics",
    summary: "Metrics: list, query",
    subcommands: async () => (await import("./metrics_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "tools",
    summary: "MCP tools over /mcp: list, call",
    subcommands: async () => (await import("./tools_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "jit",
    summary: "Generated code for llm components: list, status, generate, promote, rollback",
    words: ["list", "status", "generate", "promote", "rollback"],
    options: ["reason", "wait", "url", "token", "profile", "json", "help"],
  },
  {
    name: "sandbox",
    summary: "Build the container tier's images (see kiln sandbox --help)",
    words: ["build-images"],
    options: ["python", "deno", "json", "help"],
  },
  {
    name: "cluster",
    summary: "The nodes of a cluster: kiln cluster status",
    subcommands: async () => (await import("./cluster_commands.ts")).SUBCOMMANDS,
  },
  {
    name: "wit",
    summary: "Print the WIT world a WebAssembly component implements",
    options: ["world", "json", "help"],
  },
  {
    name: "completions",
    summary: "Print a shell completion script: bash, zsh or fish",
    words: ["bash", "zsh", "fish"],
  },
  { name: "version", summary: "Print the version (--json for more)", options: ["json"] },
];
