import assert from "node:assert/strict";
import { assertFsckClean, git, minimalApp, startKiln, type TestKiln } from "./_support/kiln.ts";

/** Stock `git push`, keeping the exit code and what the remote printed. */
async function push(cwd: string, ...args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command("git", {
    args: ["push", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

async function withClone(
  fn: (t: TestKiln, work: string, repo: string, registered: string) => Promise<void>,
): Promise<void> {
  const t = await startKiln({ watch: true });
  const work = await Deno.makeTempDir({ prefix: "kiln-push-" });
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    await git(["clone", "-q", reg.json.repository, `${work}/shop`]);
    await fn(t, `${work}/shop`, reg.json.repository, reg.json.revision);
  } finally {
    await Deno.remove(work, { recursive: true });
    await t.close();
  }
}

const head = async (repo: string) => (await git(["--git-dir", repo, "rev-parse", "main"])).trim();

Deno.test("an invalid git push is refused with Kiln's reasons as remote: lines", async () => {
  await withClone(async (t, dir, repo, registered) => {
    await Deno.writeTextFile(
      `${dir}/state/component_registry.yaml`,
      "components: [{componentId: 1}]\n",
    );
    await git(["commit", "-qam", "Break it"], dir);
    const bad = (await git(["rev-parse", "HEAD"], dir)).trim();
    const refused = await push(dir, "origin", "HEAD:main");
    assert.equal(refused.ok, false, "the push fails");
    assert.match(refused.stderr, /remote: kiln: refusing [0-9a-f]{12} for refs\/heads\/main/);
    assert.match(
      refused.stderr,
      /remote: kiln: {3}state\/component_registry\.yaml at components\.0/,
    );
    assert.match(refused.stderr, /pre-receive hook declined/);
    assert.equal(await head(repo), registered, "the ref did not move");
    await assert.rejects(git(["--git-dir", repo, "cat-file", "-e", bad]), "no object entered");
    // The API says the same about the same content.
    const api = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "component_registry.yaml",
      content: "components: [{componentId: 1}]\n",
      expectedBaseRevision: registered,
      commitMessage: "Break it",
    });
    assert.equal(api.status, 400);
    assert.equal(api.json.error.code, "VALIDATION_ERROR");
    const apiField = api.json.error.details.issues[0].field;
    assert.ok(refused.stderr.includes(`at ${apiField}:`), `the push names ${apiField} too`);

    await git(["revert", "--no-edit", "HEAD"], dir);
    const fixed = await push(dir, "origin", "HEAD:main");
    // Only the tip is ever served, so a push whose tip is valid goes in.
    assert.equal(fixed.ok, true, fixed.stderr);
    assert.equal(await head(repo), (await git(["rev-parse", "HEAD"], dir)).trim());
  });
});

Deno.test("a valid git push is accepted, served, and a force push is refused", async () => {
  await withClone(async (t, dir, repo, registered) => {
    const path = `${dir}/state/app_definition.yaml`;
    await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace("1.0.0", "2.0.0"));
    await git(["commit", "-qam", "Bump"], dir);
    const accepted = await push(dir, "origin", "HEAD:main");
    assert.equal(accepted.ok, true, accepted.stderr);
    assert.match(accepted.stderr, /remote: kiln: [0-9a-f]{12} is valid; shop serves it next/);
    const pushed = (await git(["rev-parse", "HEAD"], dir)).trim();
    assert.equal(await head(repo), pushed);
    const until = Date.now() + 5_000;
    while ((await t.call("GET", "/v1/apps/shop")).json.version !== "2.0.0") {
      assert.ok(Date.now() < until, "Kiln serves the pushed revision");
      await new Promise((r) => setTimeout(r, 25));
    }

    await git(["reset", "-q", "--hard", registered], dir);
    const forced = await push(dir, "--force", "origin", "HEAD:main");
    assert.equal(forced.ok, false, "a non-fast-forward update is refused");
    assert.match(forced.stderr, /non-fast-forward|denying non-fast-forward/);
    assert.equal(await head(repo), pushed, "history is kept");
    const deleted = await push(dir, "origin", ":main");
    assert.equal(deleted.ok, false, "the served branch cannot be deleted");
    await assertFsckClean(repo);
  });
});

Deno.test("one size policy: binary files in and beside state/ over definition.bytes are refused", async () => {
  await withClone(async (_t, dir, repo, registered) => {
    const blob = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i += blob.length) big.set(blob, i);
    await Deno.writeFile(`${dir}/state/blob.bin`, big);
    await git(["add", "-A"], dir);
    await git(["commit", "-qm", "Binary in state"], dir);
    const inState = await push(dir, "origin", "HEAD:main");
    assert.equal(inState.ok, false);
    assert.match(
      inState.stderr,
      /state\/blob\.bin: the file is 2097152 bytes; the limit is 1048576 \(definition\.bytes\)/,
    );

    await git(["reset", "-q", "--hard", registered], dir);
    await Deno.mkdir(`${dir}/assets`);
    await Deno.writeFile(`${dir}/assets/logo.bin`, big);
    await git(["add", "-A"], dir);
    await git(["commit", "-qm", "Binary beside state"], dir);
    const beside = await push(dir, "origin", "HEAD:main");
    assert.equal(beside.ok, false);
    assert.match(beside.stderr, /\/assets\/logo\.bin \(outside state\/\) is 2097152 bytes/);
    assert.equal(await head(repo), registered);
  });
});

Deno.test("a push while Kiln is not running is refused with the reason", async () => {
  const t = await startKiln();
  const work = await Deno.makeTempDir({ prefix: "kiln-push-" });
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await git(["clone", "-q", reg.json.repository, `${work}/shop`]);
    await t.kiln.close();
    await Deno.writeTextFile(`${work}/shop/state/notes.yaml`, "a: 1\n");
    await git(["add", "-A"], `${work}/shop`);
    await git(["commit", "-qm", "Offline"], `${work}/shop`);
    const refused = await push(`${work}/shop`, "origin", "HEAD:main");
    assert.equal(refused.ok, false);
    assert.match(refused.stderr, /remote: kiln: Kiln did not answer at http:\/\/127\.0\.0\.1:\d+/);
    assert.equal(await head(reg.json.repository), reg.json.revision);
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(t.dataDir, { recursive: true });
  }
});

Deno.test("the hook endpoint refuses a wrong secret and object directories outside the repo", async () => {
  const t = await startKiln();
  try {
    const reg = await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    const file = JSON.parse(await Deno.readTextFile(`${reg.json.repository}/kiln-push.json`));
    assert.equal((await Deno.stat(`${reg.json.repository}/kiln-push.json`)).mode! & 0o777, 0o600);
    const ask = (secret: string, objectDirs: string[]) =>
      fetch(`${file.url}/pre-receive`, {
        method: "POST",
        body: JSON.stringify({ appId: "shop", secret, updates: [], objectDirs }),
      }).then(async (r) => ({ status: r.status, json: await r.json() }));
    const wrong = await ask("0".repeat(64), [`${reg.json.repository}/objects`]);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, "UNAUTHORIZED");
    const outside = await ask(file.secret, ["/tmp"]);
    assert.equal(outside.status, 403);
    const ok = await ask(file.secret, [`${reg.json.repository}/objects`]);
    assert.deepEqual(ok.json, { accepted: true, messages: [] });
  } finally {
    await t.close();
  }
});
