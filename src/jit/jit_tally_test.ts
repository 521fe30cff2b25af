import assert from "node:assert/strict";
import { createClient } from "redis";
import { requireService } from "../../tests/_support/services.ts";
import { RedisStore } from "../state/mod.ts";
import { JitTally } from "./jit_tally.ts";

const URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
const { ignore } = await requireService("redis", async () => {
  await (await RedisStore.connect(URL)).close();
  return true;
}, URL);

Deno.test({
  name: "JitTally: two nodes on one Redis count into the same fallbacks and shadow test",
  ignore,
  async fn() {
    const prefix = `kiln-test-${crypto.randomUUID().slice(0, 8)}`;
    const storeA = await RedisStore.connect(URL, { prefix });
    const storeB = await RedisStore.connect(URL, { prefix });
    const a = new JitTally(storeA);
    const b = new JitTally(storeB);
    try {
      await a.fellBack("app", "c1");
      await b.fellBack("app", "c1");
      assert.equal(await a.fallbacks("app", "c1"), 2);
      assert.equal(await b.fallbacks("app", "c2"), 0);
      // Both nodes push into one sequential test: the checks add up across them.
      await a.reset("app", "c1", 0.01);
      await a.push("app", "c1", true);
      await b.push("app", "c1", false);
      const { test, outcome } = await a.push("app", "c1", true);
      assert.equal(outcome, null);
      const figures = test.snapshot();
      assert.equal(figures.checks, 3);
      assert.equal(figures.agreements, 2);
      assert.equal(figures.testDisagreements, 1);
      assert.equal(figures.p0, 0.01, "the noise the version was reset against is kept");
      assert.equal((await b.test("app", "c1"))?.snapshot().llr, figures.llr);
      // Disagreements pushed from either node drive the test to a rollback.
      let last: string | null = null;
      for (let i = 0; i < 20 && last !== "rollback"; i++) {
        last = (await (i % 2 ? a : b).push("app", "c1", false)).outcome;
      }
      assert.equal(last, "rollback");
      await b.drop("app", "c1");
      assert.equal(await a.test("app", "c1"), undefined);
    } finally {
      await storeA.close();
      await storeB.close();
      const client = createClient({ url: URL });
      await client.connect();
      for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
        if (keys.length > 0) await client.unlink(keys);
      }
      await client.close();
    }
  },
});
