import { posix } from "node:path";
import { KilnError, quote } from "../../core/mod.ts";

/** `core.linux.executeCommand` input (contract §6). */
export interface CommandInput {
  command: string;
  arguments: string[];
  stdin?: string;
  timeoutSeconds?: number;
}

/** `core.linux.executeCommand` output. */
export interface CommandOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The configuration key holding an app's allowlist: exact full paths of programs. */
export const ALLOWLIST_KEY = "linux.allowedCommands";
export const DEFAULT_COMMAND_TIMEOUT_S = 30;
export const MAX_COMMAND_OUTPUT = 1 << 20;

/** Whether `path` is absolute, normalized (no `.`, `..`, `//`, trailing `/`) and printable. */
export function isPlainAbsolutePath(path: string): boolean {
  return path.startsWith("/") && path.length > 1 && posix.normalize(path) === path &&
    !path.endsWith("/") && ![...path].some((c) => c.charCodeAt(0) < 0x20 || c === "\x7f");
}

/** The app's allowlist from its configuration value: well-formed entries only. */
export function allowlistFrom(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === "string" && isPlainAbsolutePath(v));
}

/**
 * Refuses anything but an exact allowlisted path: relative paths, `.`/`..` segments, doubled
 * slashes, `NAME=value` prefixes, shell syntax and lookalikes never match, because matching is
 * string equality against normalized absolute paths (symlinks are refused in the container).
 */
export function checkCommand(input: CommandInput, allowlist: readonly string[]): void {
  const { command } = input;
  if (!isPlainAbsolutePath(command)) {
    throw new KilnError(
      "FORBIDDEN",
      `${quote(command)} is not a plain absolute path; commands are named by their exact full path`,
      { command },
    );
  }
  if (!allowlist.includes(command)) {
    throw new KilnError(
      "FORBIDDEN",
      `${quote(command)} is not on this app's command allowlist (configuration ${ALLOWLIST_KEY})`,
      { command, allowed: allowlist },
    );
  }
  for (const arg of input.arguments) {
    if (arg.includes("\0")) throw new KilnError("VALIDATION_ERROR", "arguments may not hold NUL");
  }
}
