import assert from "node:assert/strict";
import {
  freePorts,
  hasRedisServer,
  redisCli,
  redisReady,
  replicaSynced,
  sentinelSeesReplica,
  startOwnRedis,
  startOwnSentinel,
} from "../../tests/_support/redis_server.ts";
import { requireService } from "../../tests/_support/services.ts";
import { KilnError } from "../core/mod.ts";
import { parseRedisUrl, redactRedisUrl } from "./redis_connect.ts";
import { RedisStore } from "./redis_store.ts";

const { ignore } = await requireService("redis", hasRedisServer, "redis-server on the PATH");

Deno.test("parseRedisUrl() reads sentinels, master, database and credentials", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6379/2"), {
    kind: "server",
    url: "redis://127.0.0.1:6379/2",
  });
  assert.deepEqual(parseRedisUrl("redis+sentinel://u:p%40ss@10.0.0.1:26379,[::1]:26380/main/3"), {
    kind: "sentinel",
    sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "::1", port: 26380 }],
    master: "main",
    database: 3,
    username: "u",
    password: "p@ss",
  });
  assert.deepEqual(parseRedisUrl("redis+sentinel://h:1/m"), {
    kind: "sentinel",
    sentinels: [{ host: "h", port: 1 }],
    master: "m",
  });
});

Deno.test("parseRedisUrl() refuses a URL it cannot use, without echoing the password", () => {
  for (
    const bad of [
      "http://127.0.0.1:6379",
      "redis+sentinel://127.0.0.1:26379",
      "redis+sentinel://127.0.0.1/m",
      "redis+sentinel://127.0.0.1:99999/m",
      "redis+sentinel://:secret@127.0.0.1:26379,nope/m",
    ]
  ) {
    assert.throws(() => parseRedisUrl(bad), (err) => {
      assert.ok(err instanceof KilnError && err.code === "VALIDATION_ERROR", bad);
      assert.ok(!err.message.includes("secret"), err.message);
      return true;
    });
  }
  assert.equal(redactRedisUrl("redis://u:secret@h:1/0"), "redis://u:***@h:1/0");
});

Deno.test({
  name: "RedisStore through Sentinel reads and writes the master the sentinel names",
  ignore,
  async fn() {
    const master = await startOwnRedis();
    const sentinel = await startOwnSentinel(master.port, "kilnm");
    try {
      const store = await RedisStore.connect(`${sentinel.url}/0`, { prefix: "sent" });
      try {
        await store.set("s", "k", { n: 1 });
        assert.equal(await store.increment("s", "c", 2), 2);
        assert.deepEqual(await store.get("s", "k"), { found: true, value: { n: 1 } });
        assert.deepEqual((await store.list("s")).map((e) => e.key), ["c", "k"]);
        // The value is on the master itself, not somewhere the client made up.
        assert.equal(await redisCli(master.port, "get", "sent:{s}:k"), '{"e":null,"v":{"n":1}}');
      } finally {
        await store.close();
      }
    } finally {
      await sentinel.close();
      await master.close();
    }
  },
});

Deno.test({
  name: "RedisStore.connect() through a sentinel that knows no such master fails UNAVAILABLE",
  ignore,
  async fn() {
    const master = await startOwnRedis();
    const sentinel = await startOwnSentinel(master.port, "kilnm");
    try {
      await assert.rejects(
        RedisStore.connect(`redis+sentinel://127.0.0.1:${sentinel.port}/other`),
        (err) => err instanceof KilnError && err.code === "UNAVAILABLE",
      );
    } finally {
      await sentinel.close();
      await master.close();
    }
  },
});

Deno.test({
  name: "RedisStore through Sentinel follows a failover to the promoted replica",
  ignore,
  async fn() {
    const master = await startOwnRedis();
    const [replicaPort] = freePorts(1);
    const replica = new Deno.Command("redis-server", {
      args: ["--port", String(replicaPort), "--bind", "127.0.0.1", "--save", "", "--replicaof"]
        .concat(["127.0.0.1", String(master.port)]),
      stdout: "null",
      stderr: "null",
    }).spawn();
    const sentinel = await startOwnSentinel(master.port, "kilnm", { downAfterMs: 500 });
    try {
      await redisReady(replicaPort);
      await replicaSynced(replicaPort);
      await sentinelSeesReplica(sentinel.port, "kilnm", replicaPort);
      const store = await RedisStore.connect(sentinel.url, { prefix: "fo" });
      try {
        await store.set("s", "before", 1);
        // Acknowledged by the replica before the master dies, so the failover keeps it.
        assert.equal(await redisCli(master.port, "wait", "1", "20000"), "1");
        await master.kill();
        const t0 = Date.now();
        let wrote = false;
        while (!wrote && Date.now() - t0 < 30_000) {
          wrote = await store.set("s", "after", 2).then(() => true, (err) => {
            assert.ok(err instanceof KilnError && err.code === "UNAVAILABLE", String(err));
            return new Promise<boolean>((r) => setTimeout(() => r(false), 200));
          });
        }
        assert.ok(wrote, "no write succeeded within 30 s of the master's death");
        assert.deepEqual(await store.get("s", "before"), { found: true, value: 1 });
        assert.equal(await redisCli(replicaPort, "get", "fo:{s}:after"), '{"e":null,"v":2}');
      } finally {
        await store.close();
      }
    } finally {
      await sentinel.close();
      try {
        replica.kill("SIGKILL");
      } catch { /* exited */ }
      await replica.status;
      await master.close();
    }
  },
});
