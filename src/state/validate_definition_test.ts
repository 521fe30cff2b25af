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

const APP = "appId: shop\ndisplayName: S\nversion: '1'\n";
const jitRegistry = (fn: string) =>
  `components:\n  - componentId: a\n    handlerType: jit\n` +
  `    taskDetails: { script: code/a.ts, function: ${fn}, language: typescript }\n`;
const CODE = "export function run() { return 1; }\nexport const other = () => 2;\n" +
  "function inner() {}\nexport { inner as renamed };\n";

Deno.test("validateDefinitionSet() refuses a function the script does not export, naming the field", () => {
  for (const fn of ["run", "other", "renamed"]) {
    const files = new Map([["app_definition.yaml", APP], [
      "component_registry.yaml",
      jitRegistry(fn),
    ], ["code/a.ts", CODE]]);
    assert.deepEqual(validateDefinitionSet("shop", files), [], fn);
  }
  for (const [fn, why] of [["nothere", /no such export/], ["constructor", /every object has/]]) {
    const files = new Map([["app_definition.yaml", APP], [
      "component_registry.yaml",
      jitRegistry(fn as string),
    ], ["code/a.ts", CODE]]);
    const issues = validateDefinitionSet("shop", files);
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.equal(issues[0].path, "component_registry.yaml");
    assert.equal(issues[0].field, "components.0.taskDetails.function");
    assert.match(issues[0].message, why as RegExp);
  }
});

Deno.test("a registry with two byte-order marks, or pushed as a folder, is refused, not empty", () => {
  const bom = validateDefinitionFile(
    "shop",
    "component_registry.yaml",
    "\uFEFF\uFEFFcomponents: []\n",
  );
  assert.match(bom[0].message, /more than one byte-order mark/);
  const folder = validateDefinitionSet(
    "shop",
    new Map([["app_definition.yaml", APP], ["component_registry.yaml/x.yaml", "a: 1\n"]]),
  );
  assert.deepEqual(folder.map((i) => [i.path, i.message]), [[
    "component_registry.yaml",
    "expected a file; found a folder component_registry.yaml/",
  ]]);
});

Deno.test("YAML definitions refuse non-JSON tags and non-string keys, even under unknown keys", () => {
  for (
    const [text, why] of [
      ["x: !!binary aGk=\n", /!!binary is not allowed/],
      ["x: !!set {a: null}\n", /!!set is not allowed/],
      ["x: !!timestamp 2001-12-14\n", /!!timestamp is not allowed/],
      ["1: a\n", /keys must be strings; found 1 \(number\)/],
    ] as const
  ) {
    const issues = validateDefinitionFile("shop", "security_config.yaml", text);
    assert.match(issues[0]?.message ?? "", why, text);
  }
});

Deno.test("workflow jit/llm targets must name a declared component", () => {
  const registry = `components:
  - componentId: score
    handlerType: jit
    taskDetails: { script: code/a.ts, function: run, language: typescript }
`;
  const workflow = (target: string, type = "jit") =>
    `workflowId: w\nstartAt: s\nsteps:\n  s: { type: ${type}, end: true, target: ${target} }\n`;
  const set = (target: string, type?: string) =>
    validateDefinitionSet(
      "shop",
      new Map([
        ["app_definition.yaml", APP],
        ["component_registry.yaml", registry],
        ["code/a.ts", CODE],
        ["workflows/w.yaml", workflow(target, type)],
      ]),
    );
  assert.deepEqual(set("{ script: code/a.ts, function: run }"), []);
  assert.deepEqual(set("{ componentId: score }"), []);
  const unknownCode = set("{ script: code/a.ts, function: other }");
  assert.equal(unknownCode[0].field, "steps.s.target");
  assert.match(unknownCode[0].message, /expected a jit component .* function "other"; found none/);
  const template = set("{ promptTemplate: classify }", "llm");
  assert.match(template[0].message, /expected an llm component .*"classify"; found none/);
  assert.match(set("{ componentId: nope }")[0].message, /"nope" is not declared/);
});

Deno.test("schema problems say what was expected and what was found, unions included", () => {
  const wf = (t: string) =>
    `workflowId: w\nstartAt: a\nsteps:\n  a: { type: control, target: { subtype: succeed }, transitions: ${t} }\n`;
  const [bad] = validateDefinitionFile("shop", "workflows/w.yaml", wf("5"));
  assert.deepEqual(bad, {
    path: "workflows/w.yaml",
    field: "steps.a.transitions",
    message: "expected one of: array | object; found 5",
  });
  const [option] = validateDefinitionFile(
    "shop",
    "component_registry.yaml",
    "components: [{componentId: a, handlerType: bogus, taskDetails: {}}]\n",
  );
  assert.equal(option.field, "components.0.handlerType");
  assert.match(option.message, /expected one of .*"jit".*; found "bogus"/);
});

Deno.test("looking for a script's exports costs one pass, whatever the script holds", () => {
  for (const filler of ["export { a, ", "export function ", "export  ".repeat(8)]) {
    const code = filler.repeat(Math.floor(1_000_000 / filler.length));
    const files = new Map([["app_definition.yaml", APP], [
      "component_registry.yaml",
      jitRegistry("run"),
    ], ["code/a.ts", code]]);
    const started = performance.now();
    const issues = validateDefinitionSet("shop", files);
    const ms = performance.now() - started;
    assert.ok(ms < 1_000, `${JSON.stringify(filler)}: ${ms} ms`);
    assert.match(issues[0].message, /no such export/);
  }
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
