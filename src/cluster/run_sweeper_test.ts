import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { silentLogger } from "../core/mod.ts";
import { RunLeaseManager } from "./leases.ts";
import { RunSweeper } from "./run_sweeper.ts";
import { delay, probeRedis, REDIS_URL, withRedis } from "./_test_redis.ts";

const { ignore } = await requireService("redis", probeRedis, REDIS_URL);
const FAST = { ttlMs: 600, renewEveryMs: 150, marginMs: 200 };

Deno.test({
  name: "sweepers on two nodes take each of a dead node's runs over exactly once",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const node = async (nodeId: string) =>
        new RunLeaseManager({
          client: await open(),
          nodeId,
          prefix,
          logger: silentLogger,
          timing: FAST,
        });
      const dead = await node("dead");
      const b = await node("b");
      const c = await node("c");
      const adopted: string[] = [];
      const sweeper = (leases: RunLeaseManager) =>
        new RunSweeper({
          orphans: () => leases.orphans(),
          adopt: async (appId, runId) => {
            const lease = await leases.acquire(appId, runId);
            if (!lease) return false;
            adopted.push(`${leases.nodeId}:${runId}`);
            return true;
          },
          logger: silentLogger,
          everyMs: 100,
        });
      const sb = sweeper(b);
      const sc = sweeper(c);
      try {
        for (let i = 0; i < 10; i++) assert.ok(await dead.acquire("app", `r${i}`));
        sb.start();
        sc.start();
        await delay(300);
        assert.equal(adopted.length, 0, "held leases are not swept");
        dead.close();
        const killedAt = Date.now();
        while (adopted.length < 10 && Date.now() - killedAt < 5_000) await delay(50);
        await delay(300);
        const runs = adopted.map((a) => a.split(":")[1]).sort();
        assert.deepEqual(runs, Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
        assert.ok(Date.now() - killedAt < FAST.ttlMs + 1_500);
        assert.equal(b.held + c.held, 10);
      } finally {
        await sb.stop();
        await sc.stop();
        for (const m of [dead, b, c]) m.close();
      }
    }),
});

Deno.test({
  name: "a sweep while Redis is unreachable fails quietly and takes nothing",
  ignore,
  fn: () =>
    withRedis(async (open, prefix) => {
      const client = await open();
      const leases = new RunLeaseManager({ client, nodeId: "b", prefix, logger: silentLogger });
      client.destroy();
      const sweeper = new RunSweeper({
        orphans: () => leases.orphans(),
        adopt: () => Promise.resolve(true),
        logger: silentLogger,
      });
      try {
        const t0 = Date.now();
        assert.equal(await sweeper.sweep(), 0);
        assert.ok(Date.now() - t0 < 3_500);
      } finally {
        await sweeper.stop();
        leases.close();
      }
    }),
});
