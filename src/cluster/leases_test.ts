import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { silentLogger } from "../core/mod.ts";
import { RedisStore } from "../state/mod.ts";
import { RunLeaseManager } from "./leases.ts";
import type { RedisClient } from "./_redis.ts";
import { delay, probeRedis, REDIS_URL, withRedis } from "./_test_redis.ts";

const { ignore } = await requireService("redis", probeRedis, REDIS_URL);
const FAST = { ttlMs: 600, renewEveryMs: 150, marginMs: 200 };
/** A margin wide enough for a late timer on a loaded machine to still stop inside the TTL. */
const SLACK = { ttlMs: 2_000, renewEveryMs: 300, marginMs: 1_000 };

function manager(client: RedisClient, nodeId: string, prefix: string, timing = FAST) {
  return new RunLeaseManager({ client, nodeId, prefix, logger: silentLogger, timing });
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
      const a = manager(client, "a", prefix, SLACK);
      const b = manager(await open(), "b", prefix, SLACK);
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
        await delay(SLACK.ttlMs);
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

Deno.test({
  name: "a fenced save by a former lease holder is refused and leaves the new owner's record",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const fenced = (client: RedisClient, nodeId: string) =>
        new RunLeaseManager({
          client,
          nodeId,
          prefix,
          logger: silentLogger,
          timing: FAST,
          fenceSaves: true,
        });
      const store = await RedisStore.connect(REDIS_URL, { prefix });
      const a = fenced(await open(), "a");
      const b = fenced(await open(), "b");
      try {
        const held = await a.acquire("app", "r1");
        assert.ok(held?.fence);
        assert.equal(
          await store.setFenced("runs", "r1", { step: 1, by: "a" }, undefined, held.fence),
          true,
        );
        // a stalls (a Redis pause, a long GC): no renewals; its lease expires and b takes over.
        a.close();
        await delay(FAST.ttlMs + 100);
        const taken = await b.acquire("app", "r1");
        assert.ok(taken?.fence);
        assert.equal(
          await store.setFenced("runs", "r1", { step: 2, by: "b" }, undefined, taken.fence),
          true,
        );
        // a's save, sent late, must not land over b's progress.
        assert.equal(
          await store.setFenced("runs", "r1", { step: 1, by: "a" }, undefined, held.fence),
          false,
        );
        assert.deepEqual(await store.get("runs", "r1"), {
          found: true,
          value: { step: 2, by: "b" },
        });
        // Nobody's lease (released, expired): no save lands either.
        await taken.release(false);
        assert.equal(
          await store.setFenced("runs", "r1", { step: 3, by: "b" }, 60, taken.fence),
          false,
        );
        assert.deepEqual(await store.get("runs", "r1"), {
          found: true,
          value: { step: 2, by: "b" },
        });
      } finally {
        a.close();
        b.close();
        await store.close();
      }
    }),
});

Deno.test({
  name: "leases carry no fence unless saves are fenced (the store is elsewhere)",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const a = manager(await open(), "a", prefix);
      try {
        const held = await a.acquire("app", "r1");
        assert.ok(held);
        assert.equal(held.fence, undefined);
      } finally {
        a.close();
      }
    }),
});
