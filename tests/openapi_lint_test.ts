import assert from "node:assert/strict";
import { spawnServer } from "./_support/process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TOKEN = "openapi-lint-token-0123456789";

/** The pinned @redocly/cli from deno.json, so the lint runs from node_modules, offline. */
async function redoclySpecifier(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const spec = config.imports["@redocly/cli"];
  assert.match(spec, /^npm:@redocly\/cli@\d+\.\d+\.\d+$/, "pinned to an exact version");
  return spec;
}

type Operation = {
  operationId?: string;
  tags?: string[];
  responses: Record<string, unknown>;
  requestBody?: unknown;
};

Deno.test("the live /openapi.json passes redocly lint (recommended) with no errors or warnings", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-openapi-" });
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir, "--no-example"], {
    env: { KILN_ADMIN_TOKEN: TOKEN, KILN_CONTAINERS: "off" },
  });
  try {
    const res = await fetch(`${server.url}/openapi.json`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const file = `${dataDir}/openapi.json`;
    await Deno.writeTextFile(file, text);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        await redoclySpecifier(),
        "lint",
        "--config",
        `${ROOT}redocly.yaml`,
        "--format",
        "json",
        file,
      ],
      cwd: ROOT,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message}`).join("\n");
    assert.deepEqual(
      { errors: report.totals.errors, warnings: report.totals.warnings },
      { errors: 0, warnings: 0 },
      problems || stderr,
    );
    assert.equal(out.code, 0, stderr);

    // What generators rely on beyond the ruleset: unique ids, declared tags, a 500 everywhere.
    const doc = JSON.parse(text) as {
      tags: { name: string }[];
      servers: unknown[];
      info: { license?: { name: string } };
      paths: Record<string, Record<string, Operation>>;
    };
    assert.ok(doc.info.license?.name);
    assert.ok(doc.servers.length > 0);
    const tags = new Set(doc.tags.map((t) => t.name));
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId && !ids.has(op.operationId), `${where}: a unique operationId`);
        ids.add(op.operationId);
        assert.ok(op.tags?.length && op.tags.every((t) => tags.has(t)), `${where}: declared tags`);
        assert.ok(op.responses["500"], `${where}: declares 500`);
        if (op.requestBody) assert.ok(op.responses["413"], `${where}: declares 413`);
      }
    }
    assert.ok(doc.paths["/v1/apps/{appId}/workflows/{workflowId}/runs"].post.responses["429"]);
    assert.ok(doc.paths["/v1/apps/{appId}/optimization/generations/{generationId}"]);
    assert.equal(doc.paths["/v1/apps/{appId}/jit/generations/{generationId}"], undefined);
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});
