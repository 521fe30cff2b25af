import assert from "node:assert/strict";
import { join } from "node:path";
import { loadTestFiles } from "./test_file.ts";

async function withTests(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "kiln-test-file-" });
  try {
    await Deno.mkdir(join(dir, "tests"));
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, "tests", name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadTestFiles() reads tests/*.test.yaml in name order, other files ignored", async () => {
  await withTests({
    "b.test.yaml": "cases:\n  - { name: two, component: c }\n",
    "a.test.yaml":
      "cases:\n  - { name: one, component: c, input: { x: 1 }, expect: { status: 201 } }\n",
    "notes.yaml": "not: a test file\n",
  }, async (dir) => {
    const loaded = await loadTestFiles(dir);
    assert.deepEqual(loaded.map((t) => t.file), ["tests/a.test.yaml", "tests/b.test.yaml"]);
    assert.deepEqual(loaded[0].cases[0].expect, { status: 201 });
    assert.deepEqual(loaded[1].cases[0].expect, {});
  });
});

Deno.test("loadTestFiles() refuses a case that does not fit the format, naming file and field", async () => {
  const refused = async (text: string, message: RegExp) =>
    await withTests({ "x.test.yaml": text }, async (dir) => {
      await assert.rejects(loadTestFiles(dir), message);
    });
  await refused("cases:\n  - { name: a }\n", /"tests\/x\.test\.yaml": cases\.0\.component/);
  await refused("cases:\n  - { name: a, component: c, expect: { tier: gpu } }\n", /expect\.tier/);
  await refused("cases:\n  - { name: a, component: c, typo: 1 }\n", /cases\.0/);
  await refused("cases: []\n", /cases/);
  await refused(
    "cases:\n  - { name: a, component: c }\n  - { name: a, component: c }\n",
    /two cases named "a"/,
  );
  await refused("cases: [\n", /x\.test\.yaml/);
});

Deno.test("loadTestFiles() of an app without tests/ is empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await loadTestFiles(dir), []);
  } finally {
    await Deno.remove(dir);
  }
});
