import assert from "node:assert/strict";
import { failed, ok, withTools } from "../../tests/_support/tools.ts";

const PROMPT = "template: Hello {{ name }}\n";

Deno.test("getDefinitionFileContent() reads the caller's app, by its alias too", async () => {
  await withTools(async ({ tools, admin, key }) => {
    const read = ok(
      await tools.call(
        "core.state.getDefinitionFileContent",
        { filePath: "app_definition.yaml" },
        admin,
      ),
    );
    assert.equal(read.found, true);
    assert.match(read.content, /appId: shop/);
    assert.match(read.revision, /^[0-9a-f]{40}$/);
    const bank = ok(
      await tools.call(
        "core.state.getFileContent",
        { filePath: "app_definition.yaml" },
        key(["*"], "bank"),
      ),
    );
    assert.match(
      bank.content,
      /appId: bank/,
      "an app key reads its own app, never the admin's pick",
    );
    const missing = ok(
      await tools.call("core.state.getFileContent", { filePath: "nope.yaml" }, admin),
    );
    assert.deepEqual(missing, { found: false, revision: read.revision });
  });
});

Deno.test("applyDefinitionDiff() commits a diff on the current base and refuses a stale one", async () => {
  await withTools(async ({ tools, admin, exec }) => {
    const caller = exec(["core.state.setDefinitionFileContent", "core.state.applyStateDiff"]);
    const created = ok(
      await tools.call("core.state.setDefinitionFileContent", {
        filePath: "prompts/greet.yaml",
        content: PROMPT,
        commitMessage: "Add greet prompt",
      }, caller),
    );
    assert.equal(created.success, true);
    const diff = "--- a/prompts/greet.yaml\n+++ b/prompts/greet.yaml\n@@ -1 +1 @@\n" +
      "-template: Hello {{ name }}\n+template: Hi {{ name }}\n";
    const args = {
      filePath: "prompts/greet.yaml",
      diffContent: diff,
      expectedBaseRevision: created.resultingRevision,
      commitMessage: "Shorter greeting",
    };
    const applied = ok(await tools.call("core.state.applyStateDiff", args, caller));
    assert.notEqual(applied.resultingRevision, created.resultingRevision);
    const read = ok(
      await tools.call(
        "core.state.getDefinitionFileContent",
        { filePath: "prompts/greet.yaml" },
        admin,
      ),
    );
    assert.equal(read.content, "template: Hi {{ name }}\n");

    const stale = failed(
      await tools.call("core.state.applyDefinitionDiff", args, admin),
      "CONFLICT",
    );
    assert.match(stale.message, new RegExp(created.resultingRevision));
    const patch = failed(
      await tools.call("core.state.applyDefinitionDiff", {
        ...args,
        expectedBaseRevision: applied.resultingRevision,
      }, admin),
    );
    assert.ok(["PATCH_CONFLICT", "PATCH_INVALID"].includes(patch.code), patch.code);
  });
});

Deno.test("definition writes are validated, confined to state/ and authored by the caller", async () => {
  await withTools(async ({ t, tools, admin, key }) => {
    const invalid = failed(
      await tools.call("core.state.setDefinitionFileContent", {
        filePath: "component_registry.yaml",
        content: "components: [{componentId: 1}]\n",
        commitMessage: "break it",
      }, admin),
      "VALIDATION_ERROR",
    );
    assert.ok(invalid.details);
    failed(
      await tools.call("core.state.setDefinitionFileContent", {
        filePath: "../escape.yaml",
        content: "a: 1\n",
        commitMessage: "escape",
      }, admin),
      "PATH_NOT_ALLOWED",
    );
    ok(
      await tools.call("core.state.setDefinitionFileContent", {
        filePath: "notes/a.md",
        content: "hello\n",
        commitMessage: "note",
      }, key(["definitions:*"])),
    );
    const [last] = await t.kiln.state.definitions.history("shop", { limit: 1 });
    assert.equal(last.author.email, "testkey00000@kiln.local");
  });
});

Deno.test("deleteDefinitionFile() and listDefinitionDirectory() see the same tree", async () => {
  await withTools(async ({ tools, admin }) => {
    const write = { filePath: "notes/a.md", content: "hello\n", commitMessage: "note" };
    const created = ok(await tools.call("core.state.setDefinitionFileContent", write, admin));
    const root = ok(await tools.call("core.state.listDefinitionDirectory", {}, admin));
    assert.equal(root.revision, created.resultingRevision);
    assert.ok(root.entries.some((e: { path: string }) => e.path === "notes"));
    const notes = ok(
      await tools.call("core.state.listDefinitionDirectory", {
        directoryPath: "notes",
        recursive: true,
      }, admin),
    );
    assert.deepEqual(notes.entries, [{ path: "notes/a.md", type: "file" }]);
    const del = { filePath: "notes/a.md", commitMessage: "drop note" };
    failed(
      await tools.call("core.state.deleteDefinitionFile", {
        ...del,
        expectedBaseRevision: "0".repeat(40),
      }, admin),
      "CONFLICT",
    );
    ok(await tools.call("core.state.deleteDefinitionFile", del, admin));
    failed(await tools.call("core.state.deleteDefinitionFile", del, admin), "FILE_NOT_FOUND");
    const after = ok(
      await tools.call("core.state.listDefinitionDirectory", { directoryPath: "" }, admin),
    );
    assert.ok(!after.entries.some((e: { path: string }) => e.path === "notes"));
  });
});
