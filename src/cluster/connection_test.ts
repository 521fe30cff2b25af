import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  hasRedisServer,
  redisCli,
  startOwnRedis,
  startOwnSentinel,
} from "../../tests/_support/redis_server.ts";
import { requireService } from "../../tests/_support/services.ts";
import { silentLogger } from "../core/mod.ts";
import { openClusterRuns } from "./cluster_runs.ts";
import { connectCluster } from "./connection.ts";

const { ignore } = await requireService("redis", hasRedisServer, "redis-server on the PATH");

Deno.test({
  name: "connectCluster() through Sentinel: commands, bytes, blocking feed reads and run leases",
  ignore,
  async fn() {
    const master = await startOwnRedis();
    const sentinel = await startOwnSentinel(master.port, "kilnm");
    try {
      const conn = await connectCluster(sentinel.url, { prefix: "st" });
      const runs = await openClusterRuns({ conn, nodeId: "n1", logger: silentLogger });
      try {
        // A blocked XREAD on the feed connection does not hold up the command connection.
        const read = conn.feed.xRead({ key: "st:cluster:events", id: "$" }, { BLOCK: 5_000 });
        await new Promise((r) => setTimeout(r, 100));
        await conn.client.xAdd("st:cluster:events", "*", { appId: "a1" });
        const reply = await read as { messages: { message: Record<string, string> }[] }[] | null;
        assert.equal(reply?.[0].messages[0].message.appId, "a1");

        await conn.client.hSet("st:bytes", "o", Buffer.from([0, 255, 1]));
        const [raw] = await conn.binary.hmGet("st:bytes", ["o"]);
        assert.deepEqual([...raw!], [0, 255, 1]);

        // The runs share the node's connection; the lease lands on the master.
        const lease = await runs.leases.acquire("app", "r1");
        assert.ok(lease);
        assert.equal(await redisCli(master.port, "get", "st:cluster:{run:r1}:lease"), "n1");
        await lease.release(true);
        assert.equal(await redisCli(master.port, "exists", "st:cluster:{run:r1}:lease"), "0");
      } finally {
        await runs.close();
        await conn.close();
      }
    } finally {
      await sentinel.close();
      await master.close();
    }
  },
});
