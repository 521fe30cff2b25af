import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { AppDefinition, ComponentRegistry } from "../src/models/mod.ts";
import { coreToolSchemas } from "../src/tools/mod.ts";
import { findDrift, renderSchemas, SCHEMAS, writeSchemas } from "./gen_schemas.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function compile(file: string) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const text = renderSchemas().get(file);
  assert.ok(text, `${file} is rendered`);
  return ajv.compile(JSON.parse(text));
}

const VALID_APP = {
  appId: "support-desk",
  displayName: "Support desk",
  version: "1.0.0",
  configuration: { greeting: "hi" },
  sandboxPools: { pools: [{ poolName: "default", dockerImage: "kiln/deno-runner:latest" }] },
};

Deno.test("renderSchemas() is deterministic and renders stable, pretty JSON", () => {
  const first = renderSchemas();
  const second = renderSchemas();
  assert.deepEqual([...first.entries()], [...second.entries()]);
  for (const [file, text] of first) {
    assert.ok(text.endsWith("}\n"), `${file} ends with a newline`);
    const doc = JSON.parse(text);
    assert.equal(text, JSON.stringify(doc, null, 2) + "\n");
    assert.deepEqual(Object.keys(doc).slice(0, 3), ["$schema", "$id", "title"]);
    assert.equal(doc.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(doc.$id, `https://kiln.dev/${file}`);
    assert.doesNotMatch(text, /"format": "starts_with"/);
  }
});

Deno.test("renderSchemas() produces a schema for every model file", () => {
  const files = [...renderSchemas().keys()];
  assert.deepEqual(files.filter((f) => !f.startsWith("schemas/mcp/")).sort(), [
    "schemas/app_definition.schema.json",
    "schemas/component_definition.schema.json",
    "schemas/component_registry.schema.json",
    "schemas/error_envelope.schema.json",
    "schemas/optimization_config.schema.json",
    "schemas/prompt_template.schema.json",
    "schemas/sandbox/execute_request.schema.json",
    "schemas/sandbox/execute_response.schema.json",
    "schemas/sandbox_pool_config.schema.json",
    "schemas/security_config.schema.json",
    "schemas/workflow.schema.json",
    "schemas/workflow/control_target.schema.json",
    "schemas/workflow/jit_target.schema.json",
    "schemas/workflow/llm_target.schema.json",
    "schemas/workflow/mcp_target.schema.json",
  ]);
  assert.equal(new Set(SCHEMAS.map((s) => s.title)).size, SCHEMAS.length, "titles are distinct");
  for (const { file } of SCHEMAS) compile(file);
});

Deno.test("renderSchemas() writes an input and an output schema for every core MCP tool", () => {
  const files = new Set(renderSchemas().keys());
  const tools = coreToolSchemas();
  assert.ok(tools.length >= 20);
  for (const { name } of tools) {
    for (const side of ["input", "output"]) {
      const file = `schemas/mcp/${name}.${side}.schema.json`;
      assert.ok(files.has(file), `${file} is rendered`);
      compile(file);
    }
  }
  assert.equal([...files].filter((f) => f.startsWith("schemas/mcp/")).length, tools.length * 2);
});

Deno.test("the app_definition schema accepts what the model accepts and rejects typos", () => {
  const validate = compile("schemas/app_definition.schema.json");
  const cases: [unknown, boolean][] = [
    [VALID_APP, true],
    [{ appId: "a", displayName: "A", version: "1" }, true],
    [{ displayName: "A", version: "1" }, false],
    [{ ...VALID_APP, appId: "Support_Desk" }, false],
    [{ ...VALID_APP, sandboxPools: { pools: [{ poolName: "default" }] } }, false],
    [{
      ...VALID_APP,
      sandboxPools: { pools: [{ ...VALID_APP.sandboxPools.pools[0], minInstances: -1 }] },
    }, false],
  ];
  for (const [value, ok] of cases) {
    assert.equal(
      validate(value),
      ok,
      `ajv on ${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`,
    );
    assert.equal(AppDefinition.safeParse(value).success, ok, `zod on ${JSON.stringify(value)}`);
  }
  assert.equal(validate({ ...VALID_APP, dispalyName: "typo" }), false, "unknown keys are flagged");
  assert.match(JSON.stringify(validate.errors), /dispalyName/);
});

Deno.test("the component_registry schema checks taskDetails by handlerType", () => {
  const validate = compile("schemas/component_registry.schema.json");
  const jit = {
    componentId: "health",
    handlerType: "jit",
    taskDetails: { script: "code/health.ts", function: "health", language: "typescript" },
    routeMatcher: { pathPattern: "/health", methods: ["GET"] },
  };
  const llm = { componentId: "c", handlerType: "llm", taskDetails: { promptTemplate: "p" } };
  const cases: [unknown, boolean][] = [
    [{ components: [jit, llm] }, true],
    [{ components: [{ ...jit, taskDetails: { promptTemplate: "p" } }] }, false],
    [{ components: [{ ...llm, taskDetails: {} }] }, false],
    [{ components: [{ ...jit, runtime: "vm" }] }, false],
  ];
  for (const [value, ok] of cases) {
    assert.equal(
      validate(value),
      ok,
      `ajv on ${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`,
    );
    assert.equal(ComponentRegistry.safeParse(value).success, ok, `zod on ${JSON.stringify(value)}`);
  }
});

Deno.test("writeSchemas() writes missing files, rewrites stale ones and removes leftovers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-schemas-" });
  try {
    const rendered = renderSchemas();
    await Deno.mkdir(`${dir}/schemas/sandbox`, { recursive: true });
    await Deno.writeTextFile(`${dir}/schemas/workflow.schema.json`, "{}\n");
    await Deno.writeTextFile(`${dir}/schemas/sandbox/gone.schema.json`, "{}\n");
    await Deno.writeTextFile(`${dir}/schemas/README.md`, "kept\n");
    const before = await findDrift(dir, rendered);
    assert.deepEqual(before.stale, ["schemas/workflow.schema.json"]);
    assert.equal(before.missing.length, rendered.size - 1);
    assert.deepEqual(before.extra, ["schemas/sandbox/gone.schema.json"]);
    await writeSchemas(dir, rendered);
    assert.deepEqual(await findDrift(dir, rendered), { stale: [], missing: [], extra: [] });
    assert.equal(await Deno.readTextFile(`${dir}/schemas/README.md`), "kept\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the committed schemas/ matches the zod models (run `deno task schemas`)", async () => {
  assert.deepEqual(await findDrift(ROOT, renderSchemas()), { stale: [], missing: [], extra: [] });
});

Deno.test("gen_schemas.ts --check exits 0 on the committed schemas with read-only access", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      fileURLToPath(new URL("gen_schemas.ts", import.meta.url)),
      "--check",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /up to date/);
});
