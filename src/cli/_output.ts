/** Where CLI output goes; tests capture it. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const consoleIo: Io = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/**
 * The CLI's exit codes (documented in docs/cli.md): scripts branch on them, so they are stable.
 */
export const EXIT = {
  OK: 0,
  /** The operation failed: Kiln answered an error not covered below, or is unreachable. */
  FAILED: 1,
  /** Misuse: an unknown command or option, a missing argument, no token. */
  USAGE: 2,
  /** Kiln refused the token (401) or its permissions (403). */
  AUTH: 3,
  /** The app, file, key, run or other named thing does not exist (404). */
  NOT_FOUND: 4,
  /** A conflict: the thing exists already, a stale base revision, a busy component (409). */
  CONFLICT: 5,
} as const;
export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** A CLI failure with its exit code (see EXIT). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.FAILED) {
    super(message);
  }
}

/** Prints JSON when asked for, a human rendering otherwise. */
export function printer(io: Io, json: boolean) {
  return (value: unknown, human: () => string) =>
    io.out(json ? JSON.stringify(value, null, 2) : human());
}

/** Left-aligned columns sized to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [header, ...rows]
    .map((r) => r.map((c, i) => i === r.length - 1 ? c : (c ?? "").padEnd(widths[i])).join("  "))
    .join("\n");
}

/** `key: value` lines for an object's scalar fields; nested values as compact JSON. */
export function fields(value: Record<string, unknown>): string {
  const width = Math.max(0, ...Object.keys(value).map((k) => k.length));
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) =>
      `${`${k}:`.padEnd(width + 1)} ${
        typeof v === "string" ? v : v === null ? "-" : JSON.stringify(v)
      }`
    )
    .join("\n");
}
