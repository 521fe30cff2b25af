import assert from "node:assert/strict";
import {
  APP,
  assertFsckClean,
  kilnError,
  USERS_TS,
  withShop,
} from "../../tests/_support/definition_store.ts";

const MSG = { commitMessage: "test" };

Deno.test("history is newest first, limited, and filtered by path", async () => {
  await withShop(async ({ store, head }) => {
    let rev = head;
    for (
      const [path, content] of [["a.yaml", "v: 1\n"], ["b.yaml", "v: 1\n"], ["a.yaml", "v: 2\n"]]
    ) {
      rev = (await store.setDefinitionFileContent(APP, path, content, rev, {
        commitMessage: `${path} ${content.trim()}`,
      })).resultingRevision;
    }
    const all = await store.history(APP);
    assert.deepEqual(all.map((c) => c.message), [
      "a.yaml v: 2",
      "b.yaml v: 1",
      "a.yaml v: 1",
      "Register shop",
    ]);
    assert.deepEqual((await store.history(APP, { limit: 2 })).map((c) => c.message), [
      "a.yaml v: 2",
      "b.yaml v: 1",
    ]);
    assert.deepEqual((await store.history(APP, { path: "a.yaml" })).map((c) => c.message), [
      "a.yaml v: 2",
      "a.yaml v: 1",
    ]);
    assert.deepEqual((await store.history(APP, { path: "code" })).map((c) => c.message), [
      "Register shop",
    ]);
    assert.deepEqual((await store.history(APP, { revision: all[2].revision })).length, 2);
  });
});

Deno.test("revisions resolve as full or short oids, main and HEAD; others are REVISION_NOT_FOUND", async () => {
  await withShop(async ({ store, head }) => {
    for (
      const rev of [head, head.slice(0, 7), head.toUpperCase(), "main", "HEAD", "refs/heads/main"]
    ) {
      assert.equal(
        (await store.getDefinitionFileContent(APP, "app_definition.yaml", rev)).revision,
        head,
        rev,
      );
    }
    for (const rev of ["0".repeat(40), "deadbeef", "nope", "../config", "config", "objects"]) {
      const err = await kilnError(store.getDefinitionFileContent(APP, "app_definition.yaml", rev));
      assert.equal(err.code, "REVISION_NOT_FOUND", rev);
    }
    const tree = await store.readTree(APP, head);
    assert.deepEqual([...tree.keys()].sort(), [
      "app_definition.yaml",
      "code/users.ts",
      "component_registry.yaml",
    ]);
    assert.equal(tree.get("code/users.ts"), USERS_TS);
    assert.deepEqual(await store.validateRevision(APP, head), []);
  });
});

Deno.test("diff() between revisions is a git-style patch that applyDefinitionDiff accepts", async () => {
  await withShop(async ({ store, head }) => {
    const changed = USERS_TS.replace("return 1", "return 2");
    const r1 = await store.setDefinitionFileContent(APP, "code/users.ts", changed, head, MSG);
    const r2 = await store.setDefinitionFileContent(
      APP,
      "n.yaml",
      "n: 1\n",
      r1.resultingRevision,
      MSG,
    );
    const all = await store.diff(APP, head, r2.resultingRevision);
    assert.match(all, /^diff --git a\/code\/users.ts b\/code\/users.ts$/m);
    assert.match(all, /^--- \/dev\/null\n\+\+\+ b\/n.yaml$/m);
    const one = await store.diff(APP, head, "main", "code/users.ts");
    assert.doesNotMatch(one, /n\.yaml/);
    assert.equal(await store.diff(APP, head, head), "");

    const back = await store.setDefinitionFileContent(
      APP,
      "code/users.ts",
      USERS_TS,
      undefined,
      MSG,
    );
    const applied = await store.applyDefinitionDiff(
      APP,
      "code/users.ts",
      one,
      back.resultingRevision,
      MSG,
    );
    assert.equal((await store.getDefinitionFileContent(APP, "code/users.ts")).content, changed);
    const recreate = await store.diff(APP, head, r2.resultingRevision, "n.yaml");
    await store.deleteDefinitionFile(APP, "n.yaml", applied.resultingRevision, MSG);
    const head2 = (await store.head(APP))!;
    await store.applyDefinitionDiff(APP, "n.yaml", recreate, head2, MSG);
    assert.equal((await store.getDefinitionFileContent(APP, "n.yaml")).content, "n: 1\n");
  });
});

Deno.test("revert() undoes a commit on top of later changes, or is a PATCH_CONFLICT", async () => {
  await withShop(async ({ store, head }) => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const r1 = await store.setDefinitionFileContent(APP, "doc.md", lines, head, MSG);
    const r2 = await store.setDefinitionFileContent(
      APP,
      "doc.md",
      lines.replace("line 2\n", "LINE 2\n"),
      undefined,
      { commitMessage: "Shout line 2" },
    );
    await store.setDefinitionFileContent(
      APP,
      "doc.md",
      lines.replace("line 2\n", "LINE 2\n").replace("line 25\n", "line 25!\n"),
      undefined,
      MSG,
    );
    const reverted = await store.revert(APP, r2.resultingRevision, undefined, {});
    assert.equal(
      (await store.getDefinitionFileContent(APP, "doc.md")).content,
      lines.replace("line 25\n", "line 25!\n"),
    );
    const [latest] = await store.history(APP, { limit: 1 });
    assert.equal(latest.revision, reverted.resultingRevision);
    assert.equal(
      latest.message,
      `Revert "Shout line 2"\n\nThis reverts commit ${r2.resultingRevision}.`,
    );
    const err = await kilnError(store.revert(APP, r2.resultingRevision, undefined, {}));
    assert.equal(err.code, "PATCH_CONFLICT");
    assert.equal(
      (await kilnError(store.revert(APP, r1.resultingRevision, head, {}))).code,
      "CONFLICT",
    );
    assert.equal(
      (await kilnError(store.revert(APP, r1.resultingRevision, undefined, {}))).code,
      "PATCH_CONFLICT",
    );
    const added = await store.setDefinitionFileContent(
      APP,
      "extra/x.yaml",
      "x: 1\n",
      undefined,
      MSG,
    );
    await store.revert(APP, added.resultingRevision, added.resultingRevision, {
      commitMessage: "drop x",
    });
    assert.equal((await store.getDefinitionFileContent(APP, "extra/x.yaml")).found, false);
    assert.equal((await store.history(APP, { limit: 1 }))[0].message, "drop x");
    await assertFsckClean(store.repoPath(APP));
  });
});
