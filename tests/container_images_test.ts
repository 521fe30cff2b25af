import assert from "node:assert/strict";
import { DENO_RUNNER_IMAGE } from "../src/sandbox/container/mod.ts";
import { dockerTests } from "./_support/containers.ts";
import { git, minimalApp, startKiln } from "./_support/kiln.ts";

const { ignore } = await dockerTests();

const withPool = (appId: string, image: string) => {
  const files = minimalApp(appId);
  files["app_definition.yaml"] += `sandboxPools:\n  pools:\n    - poolName: web\n` +
    `      dockerImage: ${image}\n      minInstances: 0\n`;
  return files;
};

Deno.test({
  name: "a pool naming an image Docker lacks is refused at registration and at push",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const t = await startKiln({ containers: true });
    const work = await Deno.makeTempDir({ prefix: "kiln-images-" });
    try {
      const missing = "kiln/no-such-runner:0.0.0";
      const refused = await t.call("POST", "/v1/apps", { files: withPool("shop", missing) });
      assert.equal(refused.status, 400, JSON.stringify(refused.json));
      assert.equal(refused.json.error.code, "VALIDATION_ERROR");
      const [issue] = refused.json.error.details.issues;
      assert.equal(issue.path, "app_definition.yaml");
      assert.equal(issue.field, "sandboxPools.pools.0.dockerImage");
      assert.match(issue.message, /"kiln\/no-such-runner:0\.0\.0", which it does not/);
      assert.equal((await t.call("GET", "/v1/apps/shop")).status, 404, "nothing registered");

      const ok = await t.call("POST", "/v1/apps", { files: withPool("shop", DENO_RUNNER_IMAGE) });
      assert.equal(ok.status, 201, JSON.stringify(ok.json));
      await git(["clone", "-q", ok.json.repository, `${work}/shop`]);
      const path = `${work}/shop/state/app_definition.yaml`;
      await Deno.writeTextFile(
        path,
        (await Deno.readTextFile(path)).replace(DENO_RUNNER_IMAGE, missing),
      );
      await git(["commit", "-qam", "Missing image"], `${work}/shop`);
      const push = await new Deno.Command("git", {
        args: ["push", "origin", "HEAD:main"],
        cwd: `${work}/shop`,
        stderr: "piped",
        stdout: "piped",
        env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
      }).output();
      assert.equal(push.success, false);
      assert.match(
        new TextDecoder().decode(push.stderr),
        /remote: kiln: {3}state\/app_definition\.yaml at sandboxPools\.pools\.0\.dockerImage: expected an image Docker has/,
      );
    } finally {
      await Deno.remove(work, { recursive: true });
      await t.close();
    }
  },
});
