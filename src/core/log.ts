/**
 * Structured logging: one JSON object per line on stderr, so operators can ship logs anywhere
 * without parsing prose. Fields such as requestId and appId travel as plain keys.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log records go; tests pass a collecting sink. */
export type LogSink = (record: Record<string, unknown>) => void;

const encoder = new TextEncoder();

/** Straight to the file descriptor: `console.error` would format the line once more first. */
const stderrSink: LogSink = (record) => {
  const bytes = encoder.encode(JSON.stringify(record) + "\n");
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
};

/** A logger bound to a set of fields (e.g. `{requestId, appId}`). */
export class Logger {
  constructor(
    private readonly fields: Record<string, unknown> = {},
    private readonly level: LogLevel = "info",
    private readonly sink: LogSink = stderrSink,
  ) {}

  /** A logger that adds `fields` to every record. */
  with(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.fields, ...fields }, this.level, this.sink);
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
    this.sink({ ts: new Date().toISOString(), level, msg, ...this.fields, ...fields });
  }
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger = new Logger({}, "error", () => {});

/** Reads the level from `KILN_LOG_LEVEL`, defaulting to info. */
export function levelFromEnv(value: string | undefined): LogLevel {
  return value && value in ORDER ? value as LogLevel : "info";
}
