/**
 * Under `OTEL_DENO=true`, Deno's own OTLP log export carries each Kiln log record with the
 * severity of its level. A child Deno process logs one record per level; a receiver on loopback
 * takes the OTLP/HTTP JSON export and reads the severities back.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CONFIG = fileURLToPath(import.meta.resolve("../deno.json"));

interface OtlpLogs {
  resourceLogs: {
    scopeLogs: {
      logRecords: { severityNumber: number; severityText: string; body: { stringValue: string } }[];
    }[];
  }[];
}

Deno.test("log records reach Deno's OTLP export with the severity of their level", async () => {
  const batches: OtlpLogs[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    if (new URL(req.url).pathname === "/v1/logs") batches.push(JSON.parse(body));
    return Response.json({});
  });
  const dir = await Deno.makeTempDir({ prefix: "kiln-otel-log-" });
  try {
    const script = `${dir}/emit.ts`;
    await Deno.writeTextFile(
      script,
      `import { Logger } from ${JSON.stringify(import.meta.resolve("../src/core/log.ts"))};
const log = new Logger({ service: "kiln" }, "debug");
for (const level of ["debug", "info", "warn", "error"] as const) log[level]("record " + level);
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      // The project's config: the logger imports `@opentelemetry/api` through its import map.
      args: ["run", "--config", CONFIG, "--allow-env", "--allow-net=127.0.0.1", script],
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const records = batches.flatMap((b) =>
      b.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords))
    );
    const seen = records.map((r) => {
      const { level, msg } = JSON.parse(r.body.stringValue);
      return [level, msg, r.severityText, r.severityNumber];
    });
    assert.deepEqual(seen, [
      ["debug", "record debug", "DEBUG", 5],
      ["info", "record info", "INFO", 9],
      ["warn", "record warn", "WARN", 13],
      ["error", "record error", "ERROR", 17],
    ]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
