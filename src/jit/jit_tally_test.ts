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
  name: "JitTally: two nodes on one Redis count into the same fallbacks and shadow window",
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
      await a.push("app", "c1", 3, true);
      await b.push("app", "c1", 3, false);
      const seen = await a.push("app", "c1", 3, true);
      assert.deepEqual(seen.snapshot(), {
        checks: 3,
        agreements: 2,
        rollingAgreement: 2 / 3,
        window: 3,
      });
      await b.push("app", "c1", 3, false);
      assert.equal((await a.window("app", "c1"))?.rolling(1), 1 / 3, "the window keeps the last 3");
      const resized = await b.push("app", "c1", 5, true);
      assert.equal(resized.snapshot().checks, 1, "a new window size starts a new window");
      await a.reset("app", "c1");
      assert.equal(await b.window("app", "c1"), undefined);
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
