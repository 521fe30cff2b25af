import assert from "node:assert/strict";
import git from "isomorphic-git";
import fs from "node:fs";
import { LIMITS } from "../core/mod.ts";
import { configureRepo, initBareRepo, preReceiveHook } from "./_repo_init.ts";

Deno.test("initBareRepo() gives stock Git the receive limits and the pre-receive hook", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-init-" });
  try {
    const gitdir = `${dir}/apps/shop.git`;
    await initBareRepo(gitdir);
    const config = (path: string) => git.getConfig({ fs, gitdir, path });
    assert.equal(String(await config("receive.fsckObjects")), "true");
    assert.equal(String(await config("receive.maxInputSize")), String(LIMITS["git.push.bytes"]));
    assert.equal(String(await config("core.bigFileThreshold")), String(LIMITS["git.object.bytes"]));
    const hook = `${gitdir}/hooks/pre-receive`;
    assert.equal(await Deno.readTextFile(hook), preReceiveHook());
    assert.ok(((await Deno.stat(hook)).mode ?? 0) & 0o100, "the hook is executable");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configureRepo() brings an older repo up to date and leaves a current one alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-init-" });
  try {
    const gitdir = `${dir}/old.git`;
    await git.init({ fs, gitdir, bare: true, defaultBranch: "main" });
    await git.setConfig({ fs, gitdir, path: "receive.maxInputSize", value: "1" });
    await configureRepo(gitdir);
    assert.equal(
      String(await git.getConfig({ fs, gitdir, path: "receive.maxInputSize" })),
      String(LIMITS["git.push.bytes"]),
    );
    const hook = `${gitdir}/hooks/pre-receive`;
    const before = await Deno.stat(hook);
    await configureRepo(gitdir);
    assert.equal((await Deno.stat(hook)).mtime?.getTime(), before.mtime?.getTime());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configureRepo() repairs a config stock git changed, and reads a current one as is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-init-" });
  try {
    const gitdir = `${dir}/shop.git`;
    await initBareRepo(gitdir);
    const stock = (...args: string[]) =>
      new Deno.Command("git", { args: ["--git-dir", gitdir, "config", ...args] }).output();
    await stock("receive.fsckObjects", "false");
    await stock("core.symlinks", "true");
    await configureRepo(gitdir);
    const config = (path: string) => git.getConfig({ fs, gitdir, path });
    assert.equal(String(await config("receive.fsckObjects")), "true");
    assert.equal(await config("core.symlinks"), undefined);
    const text = await Deno.readTextFile(`${gitdir}/config`);
    await configureRepo(gitdir);
    assert.equal(
      await Deno.readTextFile(`${gitdir}/config`),
      text,
      "a current config is left as is",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
