import assert from "node:assert/strict";
import { createTwoFilesPatch } from "diff";
import { assertFsckClean, minimalApp, startKiln, type TestKiln } from "./_support/kiln.ts";

async function withShop(fn: (t: TestKiln, head: string) => Promise<void>): Promise<void> {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await fn(t, reg.json.revision);
  } finally {
    await t.close();
  }
}

const APP_DEF = "app_definition.yaml";

Deno.test("read, diff-apply and read back a definition; the registry serves the new revision", async () => {
  await withShop(async (t, head) => {
    const file = await t.call("GET", `/v1/apps/shop/definitions/file?path=${APP_DEF}`);
    assert.equal(file.json.revision, head);
    const next = file.json.content.replace("version: 1.0.0", "version: 1.1.0");
    const patch = createTwoFilesPatch(`a/${APP_DEF}`, `b/${APP_DEF}`, file.json.content, next);
    const res = await t.call("PATCH", "/v1/apps/shop/definitions/file", {
      path: APP_DEF,
      diff: patch,
      expectedBaseRevision: head,
      commitMessage: "Bump version",
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.success, true);
    const details = await t.call("GET", "/v1/apps/shop");
    assert.equal(details.json.version, "1.1.0");
    assert.equal(details.json.revision, res.json.resultingRevision);
    const history = await t.call("GET", "/v1/apps/shop/definitions/history?limit=5");
    assert.equal(history.json.commits[0].message.trim(), "Bump version");
    assert.equal(history.json.commits[0].author.name, "Kiln admin");
  });
});

Deno.test("a stale expectedBaseRevision is 409 CONFLICT and nothing is committed", async () => {
  await withShop(async (t, head) => {
    const set = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "notes.yaml",
      content: "a: 1\n",
      expectedBaseRevision: head,
      commitMessage: "notes",
    });
    assert.equal(set.status, 200);
    const patch = createTwoFilesPatch("notes.yaml", "notes.yaml", "a: 1\n", "a: 2\n");
    const stale = await t.call("PATCH", "/v1/apps/shop/definitions/file", {
      path: "notes.yaml",
      diff: patch,
      expectedBaseRevision: head,
      commitMessage: "stale",
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.code, "CONFLICT");
    const now = await t.call("GET", "/v1/apps/shop/definitions/file?path=notes.yaml");
    assert.equal(now.json.content, "a: 1\n");
    assert.equal(now.json.revision, set.json.resultingRevision);
  });
});

Deno.test("N parallel applyDefinitionDiff from one base: exactly one wins, repo fsck-clean", async () => {
  await withShop(async (t, head) => {
    const file = await t.call("GET", `/v1/apps/shop/definitions/file?path=${APP_DEF}`);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => {
      const next = file.json.content.replace("version: 1.0.0", `version: 1.0.${i + 1}`);
      return t.call("PATCH", "/v1/apps/shop/definitions/file", {
        path: APP_DEF,
        diff: createTwoFilesPatch(APP_DEF, APP_DEF, file.json.content, next),
        expectedBaseRevision: head,
        commitMessage: `writer ${i}`,
      });
    }));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    await assertFsckClean(`${t.dataDir}/apps/shop.git`);
  });
});

Deno.test("a change that breaks a schema is refused with issues; head unchanged", async () => {
  await withShop(async (t, head) => {
    const res = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "component_registry.yaml",
      content: "components:\n  - componentId: x\n    handlerType: jit\n    taskDetails: {}\n",
      expectedBaseRevision: head,
      commitMessage: "break it",
    });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "VALIDATION_ERROR");
    assert.ok(res.json.error.details.issues.length > 0);
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.revision, head);
    const log = await t.call("GET", "/v1/apps/shop/definitions/history");
    assert.equal(log.json.commits.length, 1);
  });
});

Deno.test("path traversal in every form is refused with PATH_NOT_ALLOWED", async () => {
  await withShop(async (t, head) => {
    for (
      const path of ["../x.yaml", "/etc/passwd", ".git/config", "a/../../b", "a/.GIT/c", "a\\b"]
    ) {
      const read = await t.call(
        "GET",
        `/v1/apps/shop/definitions/file?path=${encodeURIComponent(path)}`,
      );
      assert.equal(read.status, 400, `read ${path}`);
      assert.equal(read.json.error.code, "PATH_NOT_ALLOWED");
      const write = await t.call("PUT", "/v1/apps/shop/definitions/file", {
        path,
        content: "x: 1\n",
        expectedBaseRevision: head,
        commitMessage: "escape",
      });
      assert.equal(write.status, 400, `write ${path}`);
    }
    assert.equal((await t.call("GET", "/v1/apps/shop")).json.revision, head);
  });
});

Deno.test("tree listing, diff between revisions and revert", async () => {
  await withShop(async (t, head) => {
    const tree = await t.call("GET", "/v1/apps/shop/definitions/tree?recursive=true");
    assert.ok(tree.json.entries.some((e: { path: string }) => e.path === "code/users.ts"));
    const set = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "code/users.ts",
      content: "export function getUser() { return 2; }\nexport function createUser() {}\n",
      expectedBaseRevision: head,
      commitMessage: "change users",
    });
    const diff = await t.call(
      "GET",
      `/v1/apps/shop/definitions/diff?from=${head}&to=${set.json.resultingRevision}`,
    );
    assert.match(diff.json.diff, /return 2/);
    const revert = await t.call("POST", "/v1/apps/shop/definitions/revert", {
      revision: set.json.resultingRevision,
    });
    assert.equal(revert.status, 200, JSON.stringify(revert.json));
    const back = await t.call("GET", "/v1/apps/shop/definitions/file?path=code/users.ts");
    assert.equal(back.json.content, minimalApp("shop")["code/users.ts"]);
    const missing = await t.call("GET", "/v1/apps/shop/definitions/file?path=nope.yaml");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "FILE_NOT_FOUND");
  });
});

Deno.test("runtime values over HTTP: set, get, increment, delete, and validation", async () => {
  await withShop(async (t) => {
    assert.equal(
      (await t.call("PUT", "/v1/apps/shop/runtime/n", { value: 1, ttlSeconds: 60 })).status,
      200,
    );
    assert.deepEqual((await t.call("POST", "/v1/apps/shop/runtime/n/increment", { by: 4 })).json, {
      value: 5,
    });
    assert.deepEqual((await t.call("GET", "/v1/apps/shop/runtime/n")).json, {
      found: true,
      value: 5,
    });
    assert.deepEqual((await t.call("GET", "/v1/apps/shop/runtime")).json, { keys: ["n"] });
    assert.deepEqual((await t.call("DELETE", "/v1/apps/shop/runtime/n")).json, { deleted: true });
    await t.call("PUT", "/v1/apps/shop/runtime/s", { value: "text" });
    const bad = await t.call("POST", "/v1/apps/shop/runtime/s/increment", { by: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, "VALIDATION_ERROR");
    const ttl = await t.call("PUT", "/v1/apps/shop/runtime/t", { value: 1, ttlSeconds: -5 });
    assert.equal(ttl.status, 400);
  });
});
