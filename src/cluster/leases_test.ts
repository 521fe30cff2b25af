import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { silentLogger } from "../core/mod.ts";
import { RunLeaseManager } from "./leases.ts";
import type { RedisClient } from "./_redis.ts";
import { delay, probeRedis, REDIS_URL, withRedis } from "./_test_redis.ts";

const { ignore } = await requireService("redis", probeRedis, REDIS_URL);
const FAST = { ttlMs: 600, renewEveryMs: 150, marginMs: 200 };

function manager(client: RedisClient, nodeId: string, prefix: string) {
  return new RunLeaseManager({ client, nodeId, prefix, logger: silentLogger, timing: FAST });
}

Deno.test({
  name: "acquire() grants a run to one node at a time; release() hands it over",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const a = manager(await open(), "a", prefix);
      const b = manager(await open(), "b", prefix);
      try {
        const lease = await a.acquire("app", "r1");
        assert.ok(lease);
        assert.equal(await b.acquire("app", "r1"), null);
        await delay(1_000); // past the TTL: renewals keep it
        assert.equal(lease.lost.aborted, false);
        assert.equal(await b.acquire("app", "r1"), null);
        assert.deepEqual(await b.orphans(), []);
        await lease.release(false);
        const taken = await b.acquire("app", "r1");
        assert.ok(taken, "released, the lease is free at once");
        await taken.release(true);
        assert.deepEqual(await a.orphans(), [], "a finished run leaves the in-flight set");
      } finally {
        a.close();
        b.close();
      }
    }),
});

Deno.test({
  name: "a node that cannot renew stops driving before its lease expires",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const client = await open();
      const watcher = await open();
      const a = manager(client, "a", prefix);
      const b = manager(await open(), "b", prefix);
      try {
        const lease = await a.acquire("app", "r1");
        assert.ok(lease);
        const key = `${prefix}:cluster:{run:r1}:lease`;
        let stillHeldWhenLost: string | null = "unset";
        const lost = new Promise<void>((resolve) =>
          lease.lost.addEventListener("abort", async () => {
            stillHeldWhenLost = await watcher.get(key);
            resolve();
          })
        );
        client.destroy(); // a's Redis connection is gone: renewals fail
        await lost;
        assert.equal(stillHeldWhenLost, "a", "a stopped while its lease still stood");
        await delay(FAST.ttlMs);
        assert.ok(await b.acquire("app", "r1"), "after the TTL another node takes the run");
      } finally {
        a.close();
        b.close();
      }
    }),
});

Deno.test({
  name: "a lease taken over elsewhere aborts the old holder at its next renewal",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const raw = await open();
      const a = manager(await open(), "a", prefix);
      try {
        const lease = await a.acquire("app", "r1");
        assert.ok(lease);
        await raw.set(`${prefix}:cluster:{run:r1}:lease`, "b");
        await delay(FAST.renewEveryMs * 3);
        assert.equal(lease.lost.aborted, true);
        await lease.release(true);
        assert.equal(
          await raw.get(`${prefix}:cluster:{run:r1}:lease`),
          "b",
          "release never deletes b's lease",
        );
      } finally {
        a.close();
      }
    }),
});

Deno.test({
  name: "orphans() lists in-flight runs whose lease expired, not those held",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const a = manager(await open(), "a", prefix);
      const b = manager(await open(), "b", prefix);
      try {
        assert.ok(await a.acquire("app", "r1"));
        assert.ok(await a.acquire("app", "r2"));
        assert.ok(await b.acquire("app", "r3"));
        a.close(); // a dies: no more renewals
        await delay(FAST.ttlMs + 100);
        const orphans = await b.orphans();
        assert.deepEqual(orphans.map((o) => o.runId).sort(), ["r1", "r2"]);
        assert.deepEqual(orphans[0].appId, "app");
      } finally {
        a.close();
        b.close();
      }
    }),
});
