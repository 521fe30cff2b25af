import assert from "node:assert/strict";
import { assertFsckClean, git, minimalApp, startKiln } from "./_support/kiln.ts";

async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("stock git clones an app repo, pushes a change, and Kiln serves it", async () => {
  const t = await startKiln({ watch: true });
  const work = await Deno.makeTempDir();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const repo = reg.json.repository as string;
    await git(["clone", "-q", repo, `${work}/shop`]);
    assert.match(await git(["log", "--oneline"], `${work}/shop`), /Register application shop/);
    const path = `${work}/shop/state/app_definition.yaml`;
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace("1.0.0", "3.0.0"));
    await git(["commit", "-qam", "Bump from git"], `${work}/shop`);
    await git(["push", "-q", "origin", "HEAD:main"], `${work}/shop`);
    const pushed = (await git(["rev-parse", "HEAD"], `${work}/shop`)).trim();

    const details = await waitFor(
      () => t.call("GET", "/v1/apps/shop"),
      (r) => r.json.revision === pushed,
    );
    assert.equal(details.json.revision, pushed, "the watcher served the pushed revision");
    assert.equal(details.json.version, "3.0.0");
    await assertFsckClean(repo);
  } finally {
    await Deno.remove(work, { recursive: true });
    await t.close();
  }
});

Deno.test("an invalid head is reported, the last valid one keeps serving, writes on it get 409", async () => {
  // Without the hook asking Kiln, as when an operator moves the ref or the rules change.
  const t = await startKiln({ gitHooks: false });
  const work = await Deno.makeTempDir();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await git(["clone", "-q", reg.json.repository, `${work}/shop`]);
    await Deno.writeTextFile(
      `${work}/shop/state/component_registry.yaml`,
      "components: [{componentId: 1}]\n",
    );
    await git(["commit", "-qam", "Break it"], `${work}/shop`);
    await git(["push", "-q", "origin", "HEAD:main"], `${work}/shop`);

    const status = await t.call("POST", "/v1/apps/shop/sync");
    assert.equal(status.json.status, "DEGRADED");
    assert.equal(status.json.revision, reg.json.revision);
    assert.ok(status.json.invalidRevision.issues.length > 0);
    const route = await t.call("GET", "/v1/apps/shop/route?path=/api/users/1&method=GET");
    assert.equal(route.json.definition.componentId, "getUser", "old revision still serves");
    const head = status.json.invalidRevision.revision;
    const onTop = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "notes.yaml",
      content: "a: 1\n",
      expectedBaseRevision: head,
      commitMessage: "unrelated",
    });
    assert.equal(onTop.status, 409, "a write does not silently build on an invalid head");
    assert.equal(onTop.json.error.code, "CONFLICT");
    assert.match(onTop.json.error.message, /component_registry\.yaml.*fixes none of its problems/);
    assert.equal(onTop.json.error.details.issues[0].path, "component_registry.yaml");

    const registry = await t.call(
      "GET",
      "/v1/apps/shop/definitions/file?path=component_registry.yaml&revision=" + reg.json.revision,
    );
    const fix = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "component_registry.yaml",
      content: registry.json.content,
      expectedBaseRevision: head,
      commitMessage: "Fix it",
    });
    assert.equal(
      fix.status,
      200,
      `a write that fixes the head goes in: ${JSON.stringify(fix.json)}`,
    );
    const healed = await t.call("POST", "/v1/apps/shop/sync");
    assert.equal(healed.json.status, "ACTIVE");
    assert.equal(healed.json.invalidRevision, undefined);
  } finally {
    await Deno.remove(work, { recursive: true });
    await t.close();
  }
});

Deno.test("after git gc Kiln still reads and writes the repo", async () => {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await git(["--git-dir", reg.json.repository, "gc", "-q", "--prune=now"]);
    await t.restart();
    const file = await t.call("GET", "/v1/apps/shop/definitions/file?path=app_definition.yaml");
    assert.equal(file.status, 200);
    const set = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "more.yaml",
      content: "x: 1\n",
      expectedBaseRevision: reg.json.revision,
      commitMessage: "after gc",
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    await assertFsckClean(reg.json.repository);
  } finally {
    await t.close();
  }
});
