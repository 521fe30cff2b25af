import assert from "node:assert/strict";
import { createTwoFilesPatch } from "diff";
import { GitDefinitionStore } from "./git_definition_store.ts";
import {
  APP,
  APP_DEF,
  assertFsckClean,
  git,
  kilnError,
  REGISTRY,
  withShop,
} from "../../tests/_support/definition_store.ts";

const MSG = { commitMessage: "test" };
const DEF = "app_definition.yaml";
const REG = "component_registry.yaml";

function patch(path: string, from: string, to: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, from, to);
}

Deno.test("applyDefinitionDiff() applies a createTwoFilesPatch diff and commits it", async () => {
  await withShop(async ({ store, head }) => {
    const next = APP_DEF.replace("1.0.0", "1.1.0");
    const res = await store.applyDefinitionDiff(APP, DEF, patch(DEF, APP_DEF, next), head, {
      commitMessage: "Bump version",
      author: "Kiln admin <admin@kiln.local>",
    });
    assert.equal(res.success, true);
    assert.match(res.resultingRevision, /^[0-9a-f]{40}$/);
    const read = await store.getDefinitionFileContent(APP, DEF);
    assert.deepEqual(read, { found: true, content: next, revision: res.resultingRevision });
    const [latest] = await store.history(APP);
    assert.equal(latest.message, "Bump version");
    assert.equal(latest.author.name, "Kiln admin");
    await assertFsckClean(store.repoPath(APP));
  });
});

Deno.test("applyDefinitionDiff() applies a diff made by stock git diff in a clone", async () => {
  await withShop(async ({ store, dir, head }) => {
    const clone = `${dir}/clone`;
    await git(["clone", "-q", store.repoPath(APP), clone]);
    const file = `${clone}/state/${REG}`;
    const edited = (await Deno.readTextFile(file)).replace(
      "methods: [GET]",
      "methods: [GET, HEAD]",
    );
    await Deno.writeTextFile(file, edited);
    const diff = await git(["diff"], clone);
    assert.match(diff, /^diff --git a\/state\/component_registry.yaml/m);
    const res = await store.applyDefinitionDiff(APP, REG, diff, head, MSG);
    assert.equal((await store.getDefinitionFileContent(APP, REG)).content, edited);
    assert.equal((await store.history(APP))[0].revision, res.resultingRevision);
  });
});

Deno.test("applyDefinitionDiff() creates from /dev/null and deletes to /dev/null", async () => {
  await withShop(async ({ store, head }) => {
    const create = createTwoFilesPatch("/dev/null", "b/prompts/greet.yaml", "", "template: Hi\n");
    const created = await store.applyDefinitionDiff(APP, "prompts/greet.yaml", create, head, MSG);
    assert.equal(
      (await store.getDefinitionFileContent(APP, "prompts/greet.yaml")).content,
      "template: Hi\n",
    );
    const again = await kilnError(
      store.applyDefinitionDiff(APP, "prompts/greet.yaml", create, created.resultingRevision, MSG),
    );
    assert.equal(again.code, "PATCH_CONFLICT");
    const del = createTwoFilesPatch("a/prompts/greet.yaml", "/dev/null", "template: Hi\n", "");
    await store.applyDefinitionDiff(APP, "prompts/greet.yaml", del, created.resultingRevision, MSG);
    assert.equal((await store.getDefinitionFileContent(APP, "prompts/greet.yaml")).found, false);
    const dirs = (await store.listDefinitionDirectory(APP, "")).entries.map((e) => e.path);
    assert.ok(!dirs.includes("prompts"));
  });
});

Deno.test("applyDefinitionDiff() refuses a stale base with CONFLICT and commits nothing", async () => {
  await withShop(async ({ store, head }) => {
    const moved = await store.setDefinitionFileContent(APP, "notes.yaml", "a: 1\n", head, MSG);
    const err = await kilnError(
      store.applyDefinitionDiff(
        APP,
        "notes.yaml",
        patch("notes.yaml", "a: 1\n", "a: 2\n"),
        head,
        MSG,
      ),
    );
    assert.equal(err.code, "CONFLICT");
    assert.equal(err.status, 409);
    assert.deepEqual(err.details, {
      expectedBaseRevision: head,
      currentRevision: moved.resultingRevision,
    });
    assert.equal(await store.head(APP), moved.resultingRevision);
    assert.equal((await store.getDefinitionFileContent(APP, "notes.yaml")).content, "a: 1\n");
    assert.equal((await store.history(APP)).length, 2);
  });
});

Deno.test("applyDefinitionDiff() refuses a patch that does not apply with PATCH_CONFLICT", async () => {
  await withShop(async ({ store, head }) => {
    const wrong = patch(DEF, APP_DEF.replace("Shop", "Store"), APP_DEF.replace("Shop", "Mall"));
    const err = await kilnError(store.applyDefinitionDiff(APP, DEF, wrong, head, MSG));
    assert.equal(err.code, "PATCH_CONFLICT");
    assert.equal((err.details as { hunk: number }).hunk, 1);
    const missing = await kilnError(
      store.applyDefinitionDiff(APP, "nope.yaml", patch("nope.yaml", "a\n", "b\n"), head, MSG),
    );
    assert.equal(missing.code, "PATCH_CONFLICT");
    assert.equal(await store.head(APP), head);
  });
});

Deno.test("applyDefinitionDiff() refuses multi-file, foreign and unparsable patches", async () => {
  await withShop(async ({ store, head }) => {
    const two = patch(DEF, APP_DEF, APP_DEF + "x: 1\n") + patch(REG, REGISTRY, REGISTRY + "# c\n");
    assert.equal(
      (await kilnError(store.applyDefinitionDiff(APP, DEF, two, head, MSG))).code,
      "PATCH_INVALID",
    );
    const foreign = patch(REG, REGISTRY, REGISTRY + "# c\n");
    assert.equal(
      (await kilnError(store.applyDefinitionDiff(APP, DEF, foreign, head, MSG))).code,
      "PATCH_INVALID",
    );
    assert.equal(
      (await kilnError(store.applyDefinitionDiff(APP, DEF, "", head, MSG))).code,
      "PATCH_INVALID",
    );
    assert.equal(
      (await kilnError(store.applyDefinitionDiff(APP, "../x", foreign, head, MSG))).code,
      "PATH_NOT_ALLOWED",
    );
    assert.equal(await store.head(APP), head);
  });
});

Deno.test("applyDefinitionDiff() refuses a schema-breaking result with its issues; head unchanged", async () => {
  await withShop(async ({ store, head }) => {
    const broken = REGISTRY.replace("handlerType: jit", "handlerType: bogus");
    const err = await kilnError(
      store.applyDefinitionDiff(APP, REG, patch(REG, REGISTRY, broken), head, MSG),
    );
    assert.equal(err.code, "VALIDATION_ERROR");
    const { issues } = err.details as { issues: { path: string; field?: string }[] };
    assert.deepEqual(issues.map((i) => [i.path, i.field]), [[REG, "components.0.handlerType"]]);
    assert.equal(await store.head(APP), head);
    assert.equal((await store.history(APP)).length, 1);
  });
});

Deno.test("writes refuse malformed YAML, alias bombs, duplicate keys and oversized files", async () => {
  await withShop(async ({ store, head }) => {
    const bomb = ["a: &a [x,x,x,x,x,x,x,x,x]"].concat(
      "bcdefgh".split("").map((c, i) =>
        `${c}: &${c} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`
      ),
    ).join("\n");
    const started = performance.now();
    const refused = await kilnError(
      store.setDefinitionFileContent(APP, "bomb.yaml", bomb, head, MSG),
    );
    assert.ok(performance.now() - started < 1_000);
    assert.equal(refused.code, "LIMIT_EXCEEDED");
    assert.equal((refused.details as { limit?: string }).limit, "yaml.aliases");
    assert.match(refused.message, /alias/i);
    for (const bad of ["a: [1\n", "a: 1\na: 2\n"]) {
      assert.equal(
        (await kilnError(store.setDefinitionFileContent(APP, "x.yaml", bad, head, MSG))).code,
        "VALIDATION_ERROR",
      );
    }
    assert.equal(
      (await kilnError(
        store.setDefinitionFileContent(
          APP,
          "app_definition.yaml",
          "appId: other\ndisplayName: x\nversion: '1'\n",
          head,
          MSG,
        ),
      )).code,
      "VALIDATION_ERROR",
    );
    assert.equal(
      (await kilnError(store.deleteDefinitionFile(APP, DEF, head, MSG))).code,
      "VALIDATION_ERROR",
    );
    const dangling = REGISTRY.replace("code/users.ts", "code/missing.ts");
    assert.equal(
      (await kilnError(store.setDefinitionFileContent(APP, REG, dangling, head, MSG))).code,
      "VALIDATION_ERROR",
    );
    assert.equal(await store.head(APP), head);
  });
  await withShop(async ({ store, head }) => {
    const big = await kilnError(
      store.setDefinitionFileContent(APP, "big.txt", "x".repeat(2_000), head, MSG),
    );
    assert.equal(big.code, "PAYLOAD_TOO_LARGE");
    assert.equal(big.status, 413);
  }, { maxFileBytes: 1_000 });
});

Deno.test("path escapes are PATH_NOT_ALLOWED for reads and writes", async () => {
  await withShop(async ({ store, head }) => {
    for (
      const path of [
        "../x.yaml",
        "/etc/passwd",
        ".git/config",
        "state/../../x",
        "a/.GIT/b",
        "a\\b",
        "a\0b",
      ]
    ) {
      assert.equal(
        (await kilnError(store.getDefinitionFileContent(APP, path))).code,
        "PATH_NOT_ALLOWED",
        path,
      );
      const write = await kilnError(store.setDefinitionFileContent(APP, path, "x: 1\n", head, MSG));
      assert.equal(write.code, "PATH_NOT_ALLOWED", path);
    }
    const tree = new Map([["../escape.yaml", "x: 1\n"]]);
    assert.equal(
      (await kilnError(store.replaceTree(APP, tree, head, MSG))).code,
      "PATH_NOT_ALLOWED",
    );
    assert.equal(await store.head(APP), head);
  });
});

Deno.test("10 parallel applyDefinitionDiff from one base: one wins, 9 CONFLICT, fsck clean", async () => {
  await withShop(async ({ store, dir, head }) => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => {
      const next = APP_DEF.replace("1.0.0", `1.0.${i + 1}`);
      return store.applyDefinitionDiff(APP, DEF, patch(DEF, APP_DEF, next), head, {
        commitMessage: `w${i}`,
      });
    }));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected").map((r) =>
      (r as PromiseRejectedResult).reason
    );
    assert.equal(won.length, 1);
    assert.deepEqual(lost.map((e) => e.code), Array(9).fill("CONFLICT"));
    const winner = (won[0] as PromiseFulfilledResult<{ resultingRevision: string }>).value;
    assert.equal(await store.head(APP), winner.resultingRevision);
    assert.equal((await store.history(APP)).length, 2);
    await assertFsckClean(store.repoPath(APP));
    const fresh = new GitDefinitionStore({ dataDir: dir });
    assert.equal(await fresh.head(APP), winner.resultingRevision);
  });
});
