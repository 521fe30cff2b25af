import assert from "node:assert/strict";
import {
  CONSOLE_METHOD,
  type LogConsole,
  Logger,
  type LogLevel,
  sinkForEnv,
  stderrSink,
} from "./log.ts";

/** A console that records which method got which line. */
function recordingConsole() {
  const calls: [string, Record<string, unknown>][] = [];
  const out = Object.fromEntries(
    Object.values(CONSOLE_METHOD).map((
      m,
    ) => [m, (line: string) => calls.push([m, JSON.parse(line)])]),
  ) as unknown as LogConsole;
  return { out, calls };
}

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

function logEveryLevel(logger: Logger): void {
  for (const level of LEVELS) logger[level](`a ${level} record`, { n: level.length });
}

Deno.test("logger routes each level to its console method when OTEL_DENO=true", () => {
  const { out, calls } = recordingConsole();
  const env = (name: string) => (name === "OTEL_DENO" ? "true" : undefined);
  logEveryLevel(
    new Logger({ service: "kiln" }, "debug", sinkForEnv(env, out)).with({ appId: "a" }),
  );
  assert.deepEqual(calls.map(([method]) => method), ["debug", "info", "warn", "error"]);
  for (const [method, record] of calls) {
    assert.equal(record.level, method);
    assert.equal(record.msg, `a ${method} record`);
    assert.equal(record.service, "kiln");
    assert.equal(record.appId, "a");
    assert.equal(record.n, method.length);
    assert.match(String(record.ts), /^\d{4}-\d\d-\d\dT/);
  }
});

Deno.test("logger keeps the level threshold in OTel mode", () => {
  const { out, calls } = recordingConsole();
  logEveryLevel(new Logger({}, "warn", sinkForEnv(() => "true", out)));
  assert.deepEqual(calls.map(([method]) => method), ["warn", "error"]);
});

Deno.test("logger writes straight to stderr unless OTEL_DENO is exactly true", () => {
  for (const value of [undefined, "false", "", "1", "TRUE "]) {
    const { out, calls } = recordingConsole();
    const sink = sinkForEnv((name) => (name === "OTEL_DENO" ? value : undefined), out);
    assert.equal(sink, stderrSink, String(value));
    assert.equal(calls.length, 0);
  }
  assert.notEqual(sinkForEnv(() => "true", recordingConsole().out), stderrSink);
});

Deno.test("enabled() says which levels a logger writes, as its records do", () => {
  const records: Record<string, unknown>[] = [];
  const logger = new Logger({}, "warn", (r) => void records.push(r)).with({ a: 1 });
  logEveryLevel(logger);
  const written = records.map((r) => r.level);
  assert.deepEqual(LEVELS.filter((l) => logger.enabled(l)), written);
  assert.deepEqual(written, ["warn", "error"]);
});
