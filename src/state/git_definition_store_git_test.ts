import assert from "node:assert/strict";
import { GitDefinitionStore } from "./git_definition_store.ts";
import {
  APP,
  APP_DEF,
  assertFsckClean,
  git,
  kilnError,
  REGISTRY,
  shopFiles,
  withShop,
} from "../../tests/_support/definition_store.ts";

const MSG = { commitMessage: "test" };

/** Clones the app repo, lets `edit` change the clone, commits and pushes; returns the new oid. */
async function pushFromClone(
  store: GitDefinitionStore,
  dir: string,
  edit: (clone: string) => Promise<void>,
): Promise<string> {
  const clone = await Deno.makeTempDir({ dir, prefix: "clone-" });
  await git(["clone", "-q", store.repoPath(APP), clone]);
  await edit(clone);
  await git(["add", "-A"], clone);
  await git(["commit", "-qm", "Edit from git"], clone);
  await git(["push", "-q", "origin", "HEAD:main"], clone);
  return (await git(["rev-parse", "HEAD"], clone)).trim();
}

Deno.test("stock git clones Kiln's repo, pushes a change, and refreshHead() serves it", async () => {
  await withShop(async ({ store, dir, head }) => {
    const kiln = await store.setDefinitionFileContent(APP, "notes.yaml", "n: 1\n", head, {
      commitMessage: "Add notes",
    });
    const clone = `${dir}/clone`;
    await git(["clone", "-q", store.repoPath(APP), clone]);
    assert.match(await git(["log", "--format=%s"], clone), /^Add notes\nRegister shop\n$/);
    const bumped = APP_DEF.replace("1.0.0", "3.0.0");
    await Deno.writeTextFile(`${clone}/state/app_definition.yaml`, bumped);
    await git(["commit", "-qam", "Bump from git"], clone);
    await git(["push", "-q", "origin", "HEAD:main"], clone);
    const pushed = (await git(["rev-parse", "HEAD"], clone)).trim();

    assert.equal(await store.head(APP), kiln.resultingRevision, "the cached head until refresh");
    assert.equal(await store.refreshHead(APP), pushed);
    assert.equal(
      (await store.getDefinitionFileContent(APP, "app_definition.yaml")).content,
      bumped,
    );
    assert.deepEqual(await store.validateRevision(APP, pushed), []);
    const stale = await kilnError(
      store.setDefinitionFileContent(APP, "x.yaml", "x: 1\n", kiln.resultingRevision, MSG),
    );
    assert.equal(stale.code, "CONFLICT", "an outside push is never overwritten");
    const after = await store.setDefinitionFileContent(APP, "x.yaml", "x: 1\n", pushed, MSG);
    assert.deepEqual((await store.history(APP, { limit: 2 })).map((c) => c.revision), [
      after.resultingRevision,
      pushed,
    ]);
    await git(["pull", "-q", "--ff-only"], clone);
    assert.equal(await Deno.readTextFile(`${clone}/state/x.yaml`), "x: 1\n");
    await assertFsckClean(store.repoPath(APP));
  });
});

Deno.test("a pushed invalid revision is reported by validateRevision(); fixes go in, other writes get CONFLICT", async () => {
  await withShop(async ({ store, dir }) => {
    const broken = await pushFromClone(store, dir, async (clone) => {
      await Deno.writeTextFile(
        `${clone}/state/component_registry.yaml`,
        "components: [{componentId: 1}]\n",
      );
      await Deno.writeTextFile(`${clone}/state/dup.yaml`, "a: 1\na: 2\n");
    });
    await store.refreshHead(APP);
    const issues = await store.validateRevision(APP, broken);
    assert.deepEqual([...new Set(issues.map((i) => i.path))].sort(), [
      "component_registry.yaml",
      "dup.yaml",
    ]);
    const fixed = await store.setDefinitionFileContent(
      APP,
      "component_registry.yaml",
      REGISTRY,
      broken,
      MSG,
    );
    const rest = await store.validateRevision(APP, fixed.resultingRevision);
    assert.deepEqual(rest.map((i) => i.path), ["dup.yaml"]);

    const dangling = await pushFromClone(store, dir, async (clone) => {
      await Deno.remove(`${clone}/state/dup.yaml`);
      await Deno.remove(`${clone}/state/code/users.ts`);
    });
    await store.refreshHead(APP);
    assert.deepEqual((await store.validateRevision(APP, dangling)).map((i) => i.field), [
      "components.0.taskDetails.script",
    ]);
    const onInvalid = await kilnError(
      store.setDefinitionFileContent(APP, "other.yaml", "o: 1\n", dangling, MSG),
    );
    assert.equal(onInvalid.code, "CONFLICT", "a write does not silently build on an invalid head");
    assert.deepEqual(
      (onInvalid.details as { issues: { field?: string }[] }).issues.map((i) => i.field),
      ["components.0.taskDetails.script"],
    );
  });
});

Deno.test("symlinks pushed with stock git are never followed: PATH_NOT_ALLOWED", async () => {
  await withShop(async ({ store, dir }) => {
    const pushed = await pushFromClone(store, dir, async (clone) => {
      await Deno.symlink("/etc/passwd", `${clone}/state/passwd.yaml`);
      await Deno.symlink("/etc", `${clone}/state/etc`);
      await Deno.symlink("../../../..", `${clone}/state/up`);
    });
    assert.equal(await store.refreshHead(APP), pushed);
    for (const path of ["passwd.yaml", "etc/passwd", "up/etc/passwd", "up"]) {
      const err = await kilnError(store.getDefinitionFileContent(APP, path));
      assert.equal(err.code, "PATH_NOT_ALLOWED", path);
    }
    assert.equal(
      (await kilnError(store.listDefinitionDirectory(APP, "etc"))).code,
      "PATH_NOT_ALLOWED",
    );
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, "etc/x.yaml", "x: 1\n", pushed, MSG)))
        .code,
      "PATH_NOT_ALLOWED",
    );
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, "passwd.yaml", "x: 1\n", pushed, MSG)))
        .code,
      "PATH_NOT_ALLOWED",
    );
    const listed = (await store.listDefinitionDirectory(APP, "", true)).entries.map((e) => e.path);
    assert.ok(
      !listed.includes("etc") && !listed.includes("passwd.yaml"),
      "symlinks are not listed",
    );
    assert.ok(!(await store.readTree(APP, pushed)).has("passwd.yaml"));
    const issues = await store.validateRevision(APP, pushed);
    assert.deepEqual(issues.map((i) => i.path).sort(), ["etc", "passwd.yaml", "up"]);
    const replaced = await store.replaceTree(APP, shopFiles(), pushed, MSG);
    assert.deepEqual(await store.validateRevision(APP, replaced.resultingRevision), []);
  });
});

Deno.test("replaceTree() keeps files outside state/ that users pushed", async () => {
  await withShop(async ({ store, dir }) => {
    const pushed = await pushFromClone(store, dir, async (clone) => {
      await Deno.writeTextFile(`${clone}/README.md`, "# shop\n");
    });
    await store.refreshHead(APP);
    const res = await store.replaceTree(APP, shopFiles({ "more.yaml": "m: 1\n" }), pushed, MSG);
    const tree = await git([
      "--git-dir",
      store.repoPath(APP),
      "ls-tree",
      "-r",
      "--name-only",
      res.resultingRevision,
    ]);
    assert.deepEqual(tree.trim().split("\n"), [
      "README.md",
      "state/app_definition.yaml",
      "state/code/users.ts",
      "state/component_registry.yaml",
      "state/more.yaml",
    ]);
  });
});

Deno.test("after git gc (packed refs and objects) reads and writes still work", async () => {
  await withShop(async ({ store, dir, head }) => {
    const gitdir = store.repoPath(APP);
    await git(["--git-dir", gitdir, "gc", "-q", "--prune=now"]);
    await assert.rejects(Deno.stat(`${gitdir}/refs/heads/main`), Deno.errors.NotFound);
    assert.match(
      await Deno.readTextFile(`${gitdir}/packed-refs`),
      new RegExp(`${head} refs/heads/main`),
    );

    const fresh = new GitDefinitionStore({ dataDir: dir });
    assert.equal(await fresh.head(APP), head);
    assert.equal(
      (await fresh.getDefinitionFileContent(APP, "app_definition.yaml")).content,
      APP_DEF,
    );
    assert.equal(
      (await fresh.getDefinitionFileContent(APP, "app_definition.yaml", head.slice(0, 8))).revision,
      head,
    );
    const res = await fresh.setDefinitionFileContent(APP, "more.yaml", "x: 1\n", head, {
      commitMessage: "after gc",
    });
    assert.equal(
      (await git(["--git-dir", gitdir, "rev-parse", "main"])).trim(),
      res.resultingRevision,
    );
    assert.deepEqual((await fresh.history(APP)).map((c) => c.message), [
      "after gc",
      "Register shop",
    ]);
    await assertFsckClean(gitdir);
    fresh.clearCache();
    assert.equal((await fresh.getDefinitionFileContent(APP, "more.yaml")).content, "x: 1\n");
  });
});
