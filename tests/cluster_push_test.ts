/**
 * `git push` in cluster mode: the push gate publishes an accepted push to the shared head before
 * Git takes it, so another node serves it, and a push that lost to another node's write is
 * refused with a `remote:` line instead of being undone afterwards.
 */
import assert from "node:assert/strict";
import { git, minimalApp, startKiln, type TestKiln } from "./_support/kiln.ts";
import { requireService } from "./_support/services.ts";
import {
  freePorts,
  hasCommand,
  redisCli,
  redisReady,
  startRedis,
} from "./_support/redis_server.ts";

const { ignore } = await requireService("redis", async () => await hasCommand("redis-server"));

async function push(cwd: string): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command("git", {
    args: ["push", "origin", "HEAD:main"],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

async function waitFor(check: () => Promise<boolean>, what: string, withinMs = 10_000) {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    assert.ok(Date.now() < until, what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const version = async (t: TestKiln) => (await t.call("GET", "/v1/apps/shop")).json?.version;

Deno.test({
  name: "cluster git push: published before Git accepts it, refused when another node won",
  ignore,
  async fn() {
    const [port] = freePorts(1);
    const redis = startRedis(port);
    const work = await Deno.makeTempDir({ prefix: "kiln-cluster-push-" });
    const nodes: TestKiln[] = [];
    try {
      await redisReady(port);
      const url = `redis://127.0.0.1:${port}`;
      for (const nodeId of ["node-a", "node-b"]) {
        nodes.push(await startKiln({ cluster: { url, nodeId }, watch: true, tiers: [] }));
      }
      const [a, b] = nodes;
      const reg = await a.call("POST", "/v1/apps", { files: minimalApp("shop") });
      assert.equal(reg.status, 201, JSON.stringify(reg.json));
      await waitFor(async () => (await version(b)) === "1.0.0", "node b serves the app");

      // A push to node b's repo is served by node a.
      const repoB = `${b.dataDir}/apps/shop.git`;
      await git(["clone", "-q", repoB, `${work}/shop`]);
      const dir = `${work}/shop`;
      const definition = `${dir}/state/app_definition.yaml`;
      const bump = async (to: string) => {
        const text = await Deno.readTextFile(definition);
        await Deno.writeTextFile(definition, text.replace(/version: .*/, `version: ${to}`));
        await git(["commit", "-qam", `Version ${to}`], dir);
      };
      await bump("2.0.0");
      const accepted = await push(dir);
      assert.equal(accepted.ok, true, accepted.stderr);
      await waitFor(async () => (await version(a)) === "2.0.0", "node a serves the push");

      // Another node's write wins the shared head while node b has not heard of it yet: the
      // next push to node b must lose, with a reason, and leave node b's ref where it was.
      const head = (await git(["--git-dir", repoB, "rev-parse", "main"])).trim();
      await redisCli(port, "set", "kiln:cluster:{app:shop}:head", "f".repeat(40));
      await bump("3.0.0");
      const lost = await push(dir);
      assert.equal(lost.ok, false, "the push is refused");
      assert.match(
        lost.stderr,
        /remote: kiln: another node moved refs\/heads\/main to f{12} first/,
      );
      assert.equal((await git(["--git-dir", repoB, "rev-parse", "main"])).trim(), head);
    } finally {
      for (const node of nodes) await node.close();
      redis.kill("SIGKILL");
      await redis.status;
      await Deno.remove(work, { recursive: true });
    }
  },
});
