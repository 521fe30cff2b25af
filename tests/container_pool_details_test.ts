/** `ContainerTier.poolDetails()`: what the admin panel's sandbox page shows of each pool. */
import assert from "node:assert/strict";
import { dockerTests, eventually, jsJob, withTier } from "./_support/containers.ts";

const { ignore } = await dockerTests();

Deno.test({
  name: "poolDetails() lists each pool with its containers, their state, age and executions",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let now = 1_000_000;
    await withTier({ clock: { now: () => now } }, async (tier) => {
      assert.deepEqual(tier.poolDetails(), []);
      assert.equal((await tier.execute(jsJob(`return 1;`, { appId: "details-app" }))).data, 1);
      await eventually(
        () => Promise.resolve(tier.poolDetails()[0]?.containers.some((c) => c.state === "idle")),
        20_000,
        "an idle container",
      );
      now += 5_000;
      const [pool] = tier.poolDetails();
      assert.equal(pool.appId, "details-app");
      assert.match(pool.image, /runner/);
      assert.equal(pool.stats.live, pool.containers.length);
      const used = pool.containers.find((c) => c.executions === 1);
      assert.ok(used, JSON.stringify(pool.containers));
      assert.equal(used.state, "idle");
      assert.ok(used.ageMs >= 5_000, `age ${used.ageMs}`);
    });
  },
});
