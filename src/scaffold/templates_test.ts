import assert from "node:assert/strict";
import { validateDefinitionSet } from "../state/validate_definition.ts";
import { parseCassette } from "../llm/mod.ts";
import { TEMPLATE_NAMES, templateFiles } from "./templates.ts";

const stateFiles = (files: Record<string, string>) =>
  new Map(
    Object.entries(files).filter(([p]) => p.startsWith("state/")).map(([p, t]) => [p.slice(6), t]),
  );

Deno.test("every template is an app Kiln's definition validation accepts, under its new name", () => {
  for (const template of TEMPLATE_NAMES) {
    const files = templateFiles(template, `my-${template}`);
    assert.deepEqual(validateDefinitionSet(`my-${template}`, stateFiles(files)), [], template);
    assert.match(files["state/app_definition.yaml"], new RegExp(`^appId: my-${template}$`, "m"));
    for (const path of ["README.md", ".gitignore", "state/security_config.yaml"]) {
      assert.ok(files[path], `${template} has ${path}`);
    }
    assert.ok(Object.keys(files).some((p) => /^tests\/.+\.test\.yaml$/.test(p)), template);
    assert.ok(Object.keys(files).some((p) => /^state\/schemas\/.+\.schema\.json$/.test(p)));
  }
});

Deno.test("the llm and workflow templates ship a cassette with entries, labelled as a recording", () => {
  for (const template of ["llm", "workflow"]) {
    const text = templateFiles(template, "x")["cassettes/summarize.cassette.json"];
    const cassette = parseCassette(JSON.parse(text));
    assert.ok(cassette.entries.length >= 2, template);
    assert.match(cassette.provenance.note ?? "", /Not the output of a real model/);
  }
});

Deno.test("templateFiles() refuses a name that is not an appId and an unknown template", () => {
  assert.throws(
    () => templateFiles("basic", "Bad_Name"),
    /app name "Bad_Name" is not a valid appId/,
  );
  assert.throws(() => templateFiles("basic", "-x"), /not a valid appId/);
  assert.throws(() => templateFiles("fancy", "ok"), /unknown template "fancy"; choose one of/);
});
