import assert from "node:assert/strict";
import { GitDefinitionStore } from "./git_definition_store.ts";
import {
  APP,
  APP_DEF,
  assertFsckClean,
  fixedClock,
  git,
  kilnError,
  shopFiles,
  withShop,
} from "../../tests/_support/definition_store.ts";

const MSG = { commitMessage: "test" };

Deno.test("an empty repo has no head and reads as empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new GitDefinitionStore({ dataDir: dir });
    assert.equal(await store.repoExists(APP), false);
    assert.equal((await kilnError(store.head(APP))).code, "APP_NOT_FOUND");
    await store.ensureRepo(APP);
    await store.ensureRepo(APP);
    assert.equal(await store.repoExists(APP), true);
    assert.equal(store.repoPath(APP), `${dir}/apps/${APP}.git`);
    assert.equal(await store.head(APP), null);
    assert.deepEqual(await store.getDefinitionFileContent(APP, "x.yaml"), {
      found: false,
      revision: null,
    });
    assert.deepEqual(await store.listDefinitionDirectory(APP, ""), { entries: [], revision: null });
    assert.deepEqual(await store.history(APP), []);
    assert.equal((await kilnError(store.readTree(APP, "main"))).code, "REVISION_NOT_FOUND");
    assert.equal(
      (await git(["--git-dir", store.repoPath(APP), "symbolic-ref", "HEAD"])).trim(),
      "refs/heads/main",
    );
    await store.deleteRepo(APP);
    assert.equal(await store.repoExists(APP), false);
    assert.equal((await kilnError(store.repoExists("../etc"))).code, "VALIDATION_ERROR");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("set, read, list and delete round-trip; the last file of a folder takes the folder", async () => {
  await withShop(async ({ store, head }) => {
    const read = await store.getDefinitionFileContent(APP, "app_definition.yaml");
    assert.deepEqual(read, { found: true, content: APP_DEF, revision: head });
    const set = await store.setDefinitionFileContent(APP, "notes/a.yaml", "a: 1\n", head, MSG);
    assert.notEqual(set.resultingRevision, head);
    assert.equal(await store.head(APP), set.resultingRevision);
    assert.equal((await store.getDefinitionFileContent(APP, "./notes/a.yaml")).content, "a: 1\n");
    assert.equal((await store.getDefinitionFileContent(APP, "notes/a.yaml", head)).found, false);

    const flat = await store.listDefinitionDirectory(APP, "");
    assert.deepEqual(flat.entries.map((e) => `${e.type} ${e.path}`), [
      "file app_definition.yaml",
      "directory code",
      "file component_registry.yaml",
      "directory notes",
    ]);
    const deep = await store.listDefinitionDirectory(APP, "notes/", true);
    assert.deepEqual(deep.entries, [{ path: "notes/a.yaml", type: "file" }]);
    assert.equal(
      (await kilnError(store.listDefinitionDirectory(APP, "nope"))).code,
      "FILE_NOT_FOUND",
    );
    assert.equal(
      (await kilnError(store.listDefinitionDirectory(APP, "code/users.ts"))).code,
      "BAD_REQUEST",
    );

    const del = await store.deleteDefinitionFile(APP, "notes/a.yaml", undefined, MSG);
    const after = await store.listDefinitionDirectory(APP, "", true);
    assert.ok(!after.entries.some((e) => e.path.startsWith("notes")), "the empty folder is gone");
    assert.equal(after.revision, del.resultingRevision);
    assert.equal(
      (await kilnError(store.deleteDefinitionFile(APP, "notes/a.yaml", undefined, MSG))).code,
      "FILE_NOT_FOUND",
    );
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, "code", "x", undefined, MSG))).code,
      "BAD_REQUEST",
    );
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, "code/users.ts/x", "x", undefined, MSG)))
        .code,
      "BAD_REQUEST",
    );
    await assertFsckClean(store.repoPath(APP));
  });
});

Deno.test("writes with a stale base are CONFLICT; writing the same content makes no commit", async () => {
  await withShop(async ({ store, head }) => {
    const next = await store.setDefinitionFileContent(APP, "a.yaml", "a: 1\n", head, MSG);
    const stale = await kilnError(
      store.setDefinitionFileContent(APP, "a.yaml", "a: 2\n", head, MSG),
    );
    assert.equal(stale.code, "CONFLICT");
    assert.deepEqual(stale.details, {
      expectedBaseRevision: head,
      currentRevision: next.resultingRevision,
    });
    assert.equal(
      (await kilnError(store.deleteDefinitionFile(APP, "a.yaml", head, MSG))).code,
      "CONFLICT",
    );
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, "a.yaml", "", "abc", MSG))).code,
      "VALIDATION_ERROR",
    );
    const same = await store.setDefinitionFileContent(APP, "a.yaml", "a: 1\n", undefined, MSG);
    assert.equal(same.resultingRevision, next.resultingRevision);
    const again = await store.replaceTree(
      APP,
      shopFiles({ "a.yaml": "a: 1\n" }),
      next.resultingRevision,
      MSG,
    );
    assert.equal(again.resultingRevision, next.resultingRevision);
  });
});

Deno.test("a commit runs the workflow checker the store was handed; its issues refuse the write", async () => {
  const workflow = (id: string, start: string) =>
    `workflowId: ${id}\nstartAt: ${start}\nsteps:\n  ${start}: { type: control, target: { subtype: succeed } }\n`;
  const seen: string[] = [];
  const checkers = {
    workflow: (path: string, value: Record<string, unknown>) => {
      seen.push(path);
      return value.startAt === "forbidden" ? [{ path, field: "startAt", message: "no" }] : [];
    },
  };
  await withShop(async ({ store, head }) => {
    const err = await kilnError(
      store.setDefinitionFileContent(
        APP,
        "workflows/w.yaml",
        workflow("w", "forbidden"),
        head,
        MSG,
      ),
    );
    assert.equal(err.code, "VALIDATION_ERROR");
    assert.match(JSON.stringify(err.details), /"field":"startAt"/);
    assert.equal(await store.head(APP), head);
    const ok = await store.setDefinitionFileContent(
      APP,
      "workflows/v.yaml",
      workflow("v", "d"),
      head,
      MSG,
    );
    assert.notEqual(ok.resultingRevision, head);
    // Only workflow files reach the workflow checker.
    await store.setDefinitionFileContent(APP, "a.yaml", "a: 1\n", undefined, MSG);
    assert.deepEqual(seen, ["workflows/w.yaml", "workflows/v.yaml"]);
  }, { checkers });
  // Without a checker the schema checks alone decide.
  await withShop(async ({ store, head }) => {
    const ok = await store.setDefinitionFileContent(
      APP,
      "workflows/w.yaml",
      workflow("w", "forbidden"),
      head,
      MSG,
    );
    assert.notEqual(ok.resultingRevision, head);
  });
});

Deno.test("commits carry the author, the clock's time and the message", async () => {
  await withShop(async ({ store, head }) => {
    await store.setDefinitionFileContent(APP, "a.yaml", "a: 1\n", head, {
      commitMessage: "Add a\n\nwith a body",
      author: "Ada Lovelace <ada@example.com>",
    });
    await store.setDefinitionFileContent(APP, "b.yaml", "b: 1\n", undefined, {
      commitMessage: "Add b",
      author: { name: "Bob", email: "bob@example.com" },
    });
    const [b, a, first] = await store.history(APP);
    assert.deepEqual(b.author, { name: "Bob", email: "bob@example.com" });
    assert.equal(a.message, "Add a\n\nwith a body");
    assert.deepEqual(a.author, { name: "Ada Lovelace", email: "ada@example.com" });
    assert.equal(a.timestamp, new Date(fixedClock.now()).toISOString());
    assert.deepEqual(first.author, { name: "Kiln", email: "kiln@localhost" });
    assert.deepEqual(first.parents, []);
    assert.deepEqual(a.parents, [first.revision]);
    const bad = await kilnError(store.setDefinitionFileContent(APP, "c.yaml", "c: 1\n", undefined, {
      commitMessage: "x",
      author: "Eve <eve@x>\nparent 0000",
    }));
    assert.equal(bad.code, "VALIDATION_ERROR");
  });
});

Deno.test("10,000 cached reads of the head stay cheap", async () => {
  await withShop(async ({ store }) => {
    await store.getDefinitionFileContent(APP, "component_registry.yaml");
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) {
      await store.getDefinitionFileContent(APP, "component_registry.yaml");
    }
    const ms = performance.now() - started;
    assert.ok(ms < 1_000, `10,000 cached reads took ${ms.toFixed(0)} ms`);
  });
});
