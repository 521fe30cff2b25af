/** The reload loop behind `kiln dev`, on an in-process Kiln: where each problem is reported. */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { DevLoop, type ReloadEvent } from "../src/cli/_dev_loop.ts";
import { formatIssue } from "../src/cli/_dev_issues.ts";
import { startKiln } from "./_support/kiln.ts";

const APP = "appId: loop\ndisplayName: Loop\nversion: 0.1.0\n";
const REGISTRY = `components:
  - componentId: hello
    handlerType: jit
    runtime: isolate
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello, methods: [GET] }
    inputSchema: schemas/in.schema.json
`;
const SCHEMA = `{
  "type": "object",
  "properties": {
    "name": { "type": "string" }
  }
}
`;

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, "state", path)), { recursive: true });
    await Deno.writeTextFile(join(dir, "state", path), text);
  }
}

/** The lines `kiln dev` prints for a failed reload. */
function lines(event: ReloadEvent): string[] {
  assert.equal(event.ok, false, "the save should have been refused");
  return event.ok ? [] : event.issues.map(formatIssue);
}

Deno.test("DevLoop reports each definition problem at its file and line, serving the last valid tree", async () => {
  const t = await startKiln({ gitHooks: false });
  const dir = await Deno.makeTempDir({ prefix: "kiln-dev-loop-" });
  const loop = new DevLoop({ dir, registry: t.kiln.registry, onReload: () => {} });
  try {
    // Nothing valid yet: a missing required field points at the mapping that lacks it.
    await write(dir, {
      "app_definition.yaml": "# my app\nappId: loop\nversion: 0.1.0\n",
      "component_registry.yaml": REGISTRY,
      "code/hello.ts": "export const hello = () => ({ v: 1 });\n",
      "schemas/in.schema.json": SCHEMA,
    });
    let event = await loop.reload();
    assert.deepEqual(lines(event), [
      "state/app_definition.yaml:2:1: displayName: Invalid input: expected string, received undefined",
    ]);
    assert.equal(!event.ok && event.servedRevision, null);

    await write(dir, { "app_definition.yaml": APP });
    event = await loop.reload();
    assert.ok(event.ok && event.changed && event.appId === "loop");
    const served = event.ok ? event.revision : "";
    // An editor's swap file, backup and lock link beside the file being edited are not the app.
    await write(dir, { "code/.hello.ts.swp": "\u0000binary", "code/hello.ts~": "old" });
    await Deno.symlink("me@host.1234", join(dir, "state/code/.#hello.ts"));
    event = await loop.reload();
    assert.ok(event.ok && event.revision === served && !event.changed, JSON.stringify(event));

    // A wrong value in a list item: its key's line and column.
    await write(dir, {
      "component_registry.yaml": REGISTRY.replace("runtime: isolate", "runtime: quantum"),
    });
    event = await loop.reload();
    assert.equal(lines(event).length, 1);
    assert.match(
      lines(event)[0],
      /^state\/component_registry\.yaml:4:5: components\.0\.runtime: Invalid option: expected one of .*found "quantum"$/,
    );
    assert.equal(!event.ok && event.servedRevision, served);

    // YAML syntax: the parser's own position, once.
    await write(dir, { "component_registry.yaml": `${REGISTRY}    description: a: b\n` });
    assert.match(lines(await loop.reload())[0], /^state\/component_registry\.yaml:8:\d+: /);

    // JSON: a syntax error, and a JSON Schema keyword with a wrong value, each at its line.
    await write(dir, {
      "component_registry.yaml": REGISTRY,
      "schemas/in.schema.json": SCHEMA.replace('"string" }', '"string" },'),
    });
    assert.match(lines(await loop.reload())[0], /^state\/schemas\/in\.schema\.json:5:3: /);
    await write(dir, { "schemas/in.schema.json": SCHEMA.replace('"string"', '"strnig"') });
    assert.match(
      lines(await loop.reload())[0],
      /^state\/schemas\/in\.schema\.json:4:\d+: invalid JSON Schema: .*data\/properties\/name\/type must be/,
    );

    // Still the last valid revision; the next valid save is served.
    assert.equal(t.kiln.registry.getApplicationStatus("loop").revision, served);
    await write(dir, { "schemas/in.schema.json": SCHEMA });
    event = await loop.reload();
    assert.ok(event.ok, JSON.stringify(event));
    // The tree equals the served one: nothing new to commit.
    assert.equal(event.revision, served);
    assert.equal(event.changed, false);
  } finally {
    await loop.close();
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
