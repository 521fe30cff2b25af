/**
 * Structured logging: one JSON object per line on stderr, so operators can ship logs anywhere
 * without parsing prose. Fields such as requestId and appId travel as plain keys. When Deno
 * exports to OpenTelemetry (`OTEL_DENO=true`) records go through the console method of their
 * level instead, because Deno derives the OTel severity from the method, and each line carries
 * `trace_id`/`span_id` of the active span (Deno links the exported record to that span too).
 */
import { traceIds } from "./trace.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log records go; tests pass a collecting sink. */
export type LogSink = (record: Record<string, unknown>) => void;

const encoder = new TextEncoder();

/** Straight to the file descriptor: `console.error` would format the line once more first. */
export const stderrSink: LogSink = (record) => {
  const bytes = encoder.encode(JSON.stringify(record) + "\n");
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
};

/** The console method per level: Deno maps debug/info/warn/error to those OTel severities. */
export const CONSOLE_METHOD = {
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
} as const satisfies Record<LogLevel, keyof Console>;

/** The console methods `consoleSink` calls. */
export type LogConsole = Pick<Console, (typeof CONSOLE_METHOD)[LogLevel]>;

/**
 * One JSON line through the console method of the record's level. Deno's console prints info and
 * debug on stdout, warn and error on stderr (and, under OTel, exports each with its severity).
 */
export function consoleSink(out: LogConsole = console): LogSink {
  return (record) => {
    const method = CONSOLE_METHOD[record.level as LogLevel] ?? "error";
    out[method](JSON.stringify(record));
  };
}

/** Reads an environment variable; undefined where env access is not granted. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The console under `OTEL_DENO=true` (so severities survive export), the raw fd otherwise. */
export function sinkForEnv(
  env: (name: string) => string | undefined = readEnv,
  out: LogConsole = console,
): LogSink {
  return env("OTEL_DENO") === "true" ? consoleSink(out) : stderrSink;
}

let processSink: LogSink | undefined;

/** Chosen at the first record, not at import: permissionless child processes import this too. */
const defaultSink: LogSink = (record) => (processSink ??= sinkForEnv())(record);

/** A logger bound to a set of fields (e.g. `{requestId, appId}`). */
export class Logger {
  constructor(
    private readonly fields: Record<string, unknown> = {},
    private readonly level: LogLevel = "info",
    private readonly sink: LogSink = defaultSink,
  ) {}

  /** A logger that adds `fields` to every record. */
  with(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.fields, ...fields }, this.level, this.sink);
  }

  /** Whether a record at `level` would be written: lets a hot path skip building its fields. */
  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.level];
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write("error", msg, fields);
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.sink({
      ts: new Date().toISOString(),
      level,
      msg,
      ...this.fields,
      ...fields,
      ...traceIds(),
    });
  }
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger = new Logger({}, "error", () => {});

/** Reads the level from `KILN_LOG_LEVEL`, defaulting to info. */
export function levelFromEnv(value: string | undefined): LogLevel {
  return value && value in ORDER ? value as LogLevel : "info";
}
