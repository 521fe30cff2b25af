import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  docker,
  dockerTests,
  eventually,
  jsJob,
  ownContainers,
  withTier,
} from "./_support/containers.ts";

const { ignore } = await dockerTests();

Deno.test({
  name: "containers of a killed Kiln are removed at the next start; a live instance's are kept",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withTier({ poolDefaults: { minInstances: 1, maxInstances: 1 } }, async (live) => {
      assert.equal(
        (await live.execute(jsJob(`return "live";`, { appId: "live-app" }))).data,
        "live",
      );
      const liveIds = (await ownContainers(live)).map((c) => c.id);
      assert.equal(liveIds.length, 1);

      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          fileURLToPath(new URL("./fixtures/containers/owner.ts", import.meta.url)),
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!/ready (\w+) (\S+)\n/.test(out)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the owner process ended early: ${out}`);
        out += value;
      }
      const [, orphanInstance, orphanRoot] = /ready (\w+) (\S+)\n/.exec(out)!;
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      const orphans = await docker.list({
        "kiln.managed": "true",
        "kiln.instance": orphanInstance,
      });
      assert.equal(orphans.length, 1, "the killed Kiln left its container behind");

      await withTier({}, async (next) => {
        await next.ready();
        await eventually(
          async () =>
            (await docker.list({ "kiln.managed": "true", "kiln.instance": orphanInstance }))
              .length === 0,
          10_000,
          "orphans removed",
        );
      });
      await Deno.remove(orphanRoot, { recursive: true });
      assert.deepEqual((await ownContainers(live)).map((c) => c.id), liveIds);
      assert.equal(
        (await live.execute(jsJob(`return "still";`, { appId: "live-app" }))).data,
        "still",
      );
    });
  },
});
