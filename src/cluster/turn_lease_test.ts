import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { turnLease } from "./turn_lease.ts";
import { delay, probeRedis, REDIS_URL, withRedis } from "./_test_redis.ts";

const { ignore } = await requireService("redis", probeRedis, REDIS_URL);

Deno.test({
  name: "turnLease() gives a duty to one node at a time, and to another once the holder stops",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const client = await open();
      const a = turnLease({ client, nodeId: "a", name: "oracle", ttlMs: 300, prefix });
      const b = turnLease({ client, nodeId: "b", name: "oracle", ttlMs: 300, prefix });
      assert.equal(await a(), true);
      assert.equal(await b(), false);
      for (let i = 0; i < 4; i++) {
        await delay(150);
        assert.equal(await a(), true, "the holder keeps it by asking within the TTL");
        assert.equal(await b(), false);
      }
      await delay(400); // a died: no more asking
      assert.equal(await b(), true);
      assert.equal(await a(), false);
      client.destroy();
      assert.equal(await b(), false, "without Redis nobody holds the duty");
    }),
});
