import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { silentLogger } from "../core/mod.ts";
import { SharedRevocations } from "./shared_revocations.ts";
import { SharedRunEvents } from "./shared_events.ts";
import { delay, probeRedis, REDIS_URL, withRedis } from "./_test_redis.ts";
import type { RedisClient } from "./_redis.ts";

const { ignore } = await requireService("redis", probeRedis, REDIS_URL);

interface Ev {
  runId: string;
  stepId: string;
}

async function subscriber(open: () => Promise<RedisClient>): Promise<RedisClient> {
  const client = (await open()).duplicate();
  client.on("error", () => {});
  await client.connect();
  return client;
}

Deno.test({
  name: "a run's step events reach a subscriber on another node, once, and stop on unsubscribe",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const subs: RedisClient[] = [];
      const node = async (nodeId: string) => {
        const sub = await subscriber(open);
        subs.push(sub);
        return new SharedRunEvents<Ev>({
          publisher: await open(),
          subscriber: sub,
          nodeId,
          prefix,
          logger: silentLogger,
        });
      };
      const a = await node("a");
      const b = await node("b");
      try {
        const onA: string[] = [];
        const onB: string[] = [];
        a.subscribe("r1", (e) => onA.push(e.stepId));
        const stop = b.subscribe("r1", (e) => onB.push(e.stepId));
        b.subscribe("r2", () => onB.push("wrong run"));
        await delay(100);
        a.emit({ runId: "r1", stepId: "one" });
        a.emit({ runId: "r1", stepId: "two" });
        for (let i = 0; i < 40 && onB.length < 2; i++) await delay(25);
        assert.deepEqual(onB, ["one", "two"]);
        assert.deepEqual(onA, ["one", "two"], "the emitting node delivers locally, not twice");
        stop();
        await delay(100);
        a.emit({ runId: "r1", stepId: "three" });
        await delay(150);
        assert.deepEqual(onB, ["one", "two"]);
      } finally {
        for (const sub of subs) sub.destroy();
      }
    }),
});

Deno.test({
  name: "a token revoked on one node is refused on another, and on a node that starts later",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const subs: RedisClient[] = [];
      const node = async (nodeId: string) => {
        const sub = await subscriber(open);
        subs.push(sub);
        const r = new SharedRevocations({
          publisher: await open(),
          subscriber: sub,
          nodeId,
          prefix,
          logger: silentLogger,
        });
        await r.load();
        return r;
      };
      const a = await node("a");
      const b = await node("b");
      try {
        a.revoke("tok-1", Date.now() + 60_000);
        a.revoke("tok-old", Date.now() - 1);
        assert.equal(a.isRevoked("tok-1"), true);
        for (let i = 0; i < 40 && !b.isRevoked("tok-1"); i++) await delay(25);
        assert.equal(b.isRevoked("tok-1"), true);
        assert.equal(b.isRevoked("tok-2"), false);
        const c = await node("c");
        assert.equal(c.isRevoked("tok-1"), true, "a later node loads live revocations");
        assert.equal(c.isRevoked("tok-old"), false, "an expired token needs no entry");
      } finally {
        for (const sub of subs) sub.destroy();
      }
    }),
});
