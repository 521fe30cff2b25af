import assert from "node:assert/strict";
import { validateDefinitionFile, validateDefinitionSet } from "./validate_definition.ts";

const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ..."bcdefghi".split("").map((c, i) => {
    const prev = "abcdefgh"[i];
    return `${c}: &${c} [${Array(9).fill(`*${prev}`).join(",")}]`;
  }),
].join("\n");

const WORKFLOW =
  "workflowId: onboard\nstartAt: done\nsteps:\n  done: { type: control, target: { subtype: succeed } }\n";

Deno.test("validateDefinitionFile() accepts valid known files", () => {
  assert.deepEqual(
    validateDefinitionFile(
      "shop",
      "app_definition.yaml",
      "appId: shop\ndisplayName: S\nversion: '1'\n",
    ),
    [],
  );
  assert.deepEqual(validateDefinitionFile("shop", "workflows/onboard.yaml", WORKFLOW), []);
  assert.deepEqual(
    validateDefinitionFile("shop", "prompts/greet.yml", "template: Hi {{ name }}\n"),
    [],
  );
  assert.deepEqual(validateDefinitionFile("shop", "component_registry.yaml", ""), []);
  assert.deepEqual(validateDefinitionFile("shop", "code/x.ts", "not: [yaml"), []);
});

Deno.test("validateDefinitionFile() refuses malformed YAML with its line", () => {
  const issues = validateDefinitionFile("shop", "notes.yaml", "a: [1, 2\nb: }\n");
  assert.ok(issues.length > 0);
  assert.equal(issues[0].path, "notes.yaml");
  assert.match(issues[0].message, /line \d+/);
});

Deno.test("validateDefinitionFile() refuses a YAML alias bomb quickly", () => {
  const started = performance.now();
  const issues = validateDefinitionFile("shop", "bomb.yaml", BOMB);
  assert.ok(performance.now() - started < 1_000, "the bomb is refused before it expands");
  assert.equal(issues.length, 1);
  assert.match(issues[0].message, /alias/i);
});

Deno.test("validateDefinitionFile() refuses duplicate keys, several documents and unknown tags", () => {
  assert.match(validateDefinitionFile("shop", "x.yaml", "a: 1\na: 2\n")[0].message, /unique/);
  assert.match(
    validateDefinitionFile("shop", "x.yaml", "a: 1\n---\nb: 2\n")[0].message,
    /multiple/,
  );
  assert.match(validateDefinitionFile("shop", "x.yml", "a: !!js/function x\n")[0].message, /tag/i);
});

Deno.test("validateDefinitionFile() reports schema violations with the field", () => {
  const registry = "components:\n  - componentId: x\n    handlerType: bogus\n    taskDetails: {}\n";
  const issues = validateDefinitionFile("shop", "component_registry.yaml", registry);
  assert.deepEqual(issues.map((i) => i.field), ["components.0.handlerType"]);
  const jit = "components:\n  - componentId: x\n    handlerType: jit\n    taskDetails: {}\n";
  assert.ok(validateDefinitionFile("shop", "component_registry.yaml", jit).length > 0);
  assert.ok(
    validateDefinitionFile("shop", "security_config.yaml", "apiKeys: [{keyId: x}]\n").length > 0,
  );
  const rule = "rules: [{ruleId: r, conditions: [], action: TRIGGER_JIT}]\n";
  assert.ok(validateDefinitionFile("shop", "optimization_config.yaml", rule).length > 0);
  assert.ok(validateDefinitionFile("shop", "prompts/p.yaml", "model: x\n").length > 0);
});

Deno.test("validateDefinitionFile() ties appId to the repo and workflowId to the file name", () => {
  const other = validateDefinitionFile(
    "shop",
    "app_definition.yaml",
    "appId: other\ndisplayName: S\nversion: '1'\n",
  );
  assert.deepEqual(other.map((i) => i.field), ["appId"]);
  const renamed = validateDefinitionFile("shop", "workflows/welcome.yaml", WORKFLOW);
  assert.deepEqual(renamed.map((i) => i.field), ["workflowId"]);
  assert.match(validateDefinitionFile("shop", "app_definition.yaml", "")[0].message, /empty/);
});

Deno.test("validateDefinitionFile() compiles JSON Schemas and parses other JSON", () => {
  assert.deepEqual(
    validateDefinitionFile("shop", "schemas/u.schema.json", '{"type":"object"}'),
    [],
  );
  const draft7 = JSON.stringify({
    $schema: "http://json-schema.org/draft-07/schema#",
    properties: { e: { type: "string", format: "email" } },
  });
  assert.deepEqual(validateDefinitionFile("shop", "schemas/d7.schema.json", draft7), []);
  assert.match(
    validateDefinitionFile("shop", "schemas/u.schema.json", '{"type":"nope"}')[0].message,
    /invalid JSON Schema/,
  );
  assert.match(
    validateDefinitionFile("shop", "schemas/u.schema.json", "{")[0].message,
    /invalid JSON/,
  );
  assert.ok(
    validateDefinitionFile("shop", "schemas/r.schema.json", '{"$ref":"#/$defs/no"}').length > 0,
  );
  assert.deepEqual(validateDefinitionFile("shop", "_jit_code/c/1/spec.json", '{"a":1}'), []);
  assert.ok(validateDefinitionFile("shop", "_jit_code/c/1/spec.json", "{a:1}").length > 0);
});

Deno.test("validateDefinitionSet() reports a missing app definition and dangling references", () => {
  const registry = `components:
  - {componentId: a, handlerType: jit, taskDetails: {script: code/a.ts, function: f, language: typescript}}
  - {componentId: b, handlerType: llm, taskDetails: {promptTemplate: greet}, outputSchema: schemas/o.schema.json}
  - {componentId: c, handlerType: workflow, taskDetails: {workflowId: onboard}}
`;
  const files = new Map([["component_registry.yaml", registry]]);
  const fields = validateDefinitionSet("shop", files).map((i) => `${i.path} ${i.field ?? ""}`);
  assert.deepEqual(fields.sort(), [
    "app_definition.yaml ",
    "component_registry.yaml components.0.taskDetails.script",
    "component_registry.yaml components.1.outputSchema",
    "component_registry.yaml components.1.taskDetails.promptTemplate",
    "component_registry.yaml components.2.taskDetails.workflowId",
  ]);
  files.set("app_definition.yaml", "appId: shop\ndisplayName: S\nversion: '1'\n");
  files.set("code/a.ts", "export const f = () => 1;\n");
  files.set("prompts/greet.yaml", "template: hi\noutputSchema: schemas/o.schema.json\n");
  files.set("schemas/o.schema.json", '{"type":"object"}');
  files.set("workflows/onboard.yaml", WORKFLOW);
  assert.deepEqual(validateDefinitionSet("shop", files), []);
});

Deno.test("validateDefinitionFile() refuses key permissions that grant nothing", () => {
  const key = (permissions: string) =>
    `apiKeys:\n  - keyId: abcdefghijkl\n    keyHash: sha256$c2FsdA$aGFzaA\n    permissions: ${permissions}\n`;
  for (const bad of ["[app:write]", "[state:read]", "[runtime:read, bogus:*]", "['']"]) {
    const issues = validateDefinitionFile("shop", "security_config.yaml", key(bad));
    assert.ok(issues.length > 0, bad);
    assert.match(issues[0].field ?? "", /^apiKeys\.0\.permissions\.\d$/);
  }
  for (const good of ["['*']", "[runtime:*, invoke]", "[definitions:read, metrics:read]"]) {
    assert.deepEqual(validateDefinitionFile("shop", "security_config.yaml", key(good)), [], good);
  }
});

Deno.test("validateDefinitionFile() refuses a JSON Schema nested past json.depth", () => {
  const deep = '{"items":'.repeat(5_000) + "true" + "}".repeat(5_000);
  const issues = validateDefinitionFile("shop", "schemas/deep.schema.json", deep);
  assert.equal(issues[0].limit, "json.depth");
  assert.equal(validateDefinitionFile("shop", "data/deep.json", deep)[0].limit, "json.depth");
});

Deno.test("validateDefinitionFile() adds the issues of the handed-in workflow checker", () => {
  const checkers = {
    workflow: (path: string, value: Record<string, unknown>) => [
      { path, field: "startAt", message: `checked ${value.startAt}` },
    ],
  };
  assert.deepEqual(
    validateDefinitionFile("shop", "workflows/onboard.yaml", WORKFLOW, { checkers }),
    [{ path: "workflows/onboard.yaml", field: "startAt", message: "checked done" }],
  );
  // A workflow that fails its own schema or id check is not handed on; other kinds never are.
  const renamed = validateDefinitionFile("shop", "workflows/welcome.yaml", WORKFLOW, { checkers });
  assert.deepEqual(renamed.map((i) => i.field), ["workflowId", "startAt"]);
  assert.deepEqual(
    validateDefinitionFile("shop", "prompts/p.yaml", "template: hi\n", { checkers }),
    [],
  );
  const files = new Map([["app_definition.yaml", "appId: shop\ndisplayName: S\nversion: 1.0.0\n"]]);
  files.set("workflows/onboard.yaml", WORKFLOW);
  assert.deepEqual(validateDefinitionSet("shop", files, checkers).map((i) => i.field), ["startAt"]);
});

Deno.test("validateDefinitionSet() bundles schema files with their $refs and refuses what fails", () => {
  const registry = `components:
  - componentId: a
    handlerType: jit
    taskDetails: {script: code/a.ts, function: f, language: typescript}
    inputSchema: schemas/in.schema.json
    outputSchema: {type: object, properties: {t: {$ref: "schemas/common.schema.json#/$defs/T"}}}
`;
  const files = new Map([
    ["app_definition.yaml", "appId: shop\ndisplayName: S\nversion: '1'\n"],
    ["component_registry.yaml", registry],
    ["code/a.ts", "export const f = () => 1;\n"],
    ["schemas/in.schema.json", '{"properties": {"t": {"$ref": "common.schema.json#/$defs/T"}}}'],
  ]);
  // Each file compiles alone as far as it can; the missing file shows once the set is known.
  assert.deepEqual(
    validateDefinitionFile("shop", "schemas/in.schema.json", files.get("schemas/in.schema.json")!),
    [],
  );
  const missing = validateDefinitionSet("shop", files);
  assert.deepEqual(missing.map((i) => i.field), [
    "components.0.inputSchema",
    "components.0.outputSchema",
  ]);
  assert.match(
    missing[0].message,
    /the \$ref "common\.schema\.json#\/\$defs\/T" in "schemas\/in\.schema\.json" names "schemas\/common\.schema\.json", which is not a file in state\//,
  );
  files.set("schemas/common.schema.json", '{"$defs": {"U": {"type": "string"}}}');
  assert.match(validateDefinitionSet("shop", files)[0].message, /points at nothing/);
  files.set("schemas/common.schema.json", '{"$defs": {"T": {"$ref": "#/$defs/U"}}}');
  assert.match(
    validateDefinitionSet("shop", files)[0].message,
    /the \$ref "#\/\$defs\/U" in "schemas\/common\.schema\.json" points at nothing/,
  );
  files.set("schemas/common.schema.json", '{"$defs": {"T": {"$ref": "#/$defs/U"}, "U": {}}}');
  assert.deepEqual(validateDefinitionSet("shop", files), []);
});
