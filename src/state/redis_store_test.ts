import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { createClient } from "redis";
import { requireService } from "../../tests/_support/services.ts";
import { hasRedisServer, startOwnRedis } from "../../tests/_support/redis_server.ts";
import { KilnError } from "../core/mod.ts";
import { RedisStore } from "./redis_store.ts";
import { REDIS_COMMAND_TIMEOUT_MS } from "./redis_connect.ts";
import { runStoreConformance } from "./store_common_case.ts";

const URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";

const { ignore } = await requireService("redis", async () => {
  const store = await RedisStore.connect(URL);
  await store.close();
  return true;
}, URL);

/** Removes every key under `prefix`, so each test leaves Redis as it found it. */
async function dropPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: URL });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    await client.close();
  }
}

async function rawKeys(prefix: string): Promise<string[]> {
  const client = createClient({ url: URL });
  await client.connect();
  try {
    return (await client.keys(`${prefix}:*`)).sort();
  } finally {
    await client.close();
  }
}

const testPrefix = () => `kiln-test-${crypto.randomUUID()}`;

runStoreConformance("RedisStore", async (clock) => {
  const prefix = testPrefix();
  const store = await RedisStore.connect(URL, { clock, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropPrefix(prefix);
    },
  };
}, { ignore });

Deno.test({
  name: "RedisStore increments atomically across separate connections",
  ignore,
  fn: async () => {
    const prefix = testPrefix();
    const stores = await Promise.all([1, 2, 3].map(() => RedisStore.connect(URL, { prefix })));
    try {
      await Promise.all(
        stores.flatMap((s) => Array.from({ length: 40 }, () => s.increment("s", "n", 1))),
      );
      assert.deepEqual(await stores[0].get("s", "n"), { found: true, value: 120 });
    } finally {
      for (const s of stores) await s.close();
      await dropPrefix(prefix);
    }
  },
});

Deno.test({
  name: "RedisStore sets a native PX too, so Redis frees expired memory",
  ignore,
  fn: async () => {
    const prefix = testPrefix();
    const store = await RedisStore.connect(URL, { prefix });
    const client = createClient({ url: URL });
    await client.connect();
    try {
      await store.set("s", "ttl", 1, 60);
      await store.set("s", "forever", 1);
      await store.increment("s", "counter", 1, 30);
      await store.increment("s", "counter", 1);
      const pttl = await client.pTTL(`${prefix}:{s}:ttl`);
      assert.ok(pttl > 55_000 && pttl <= 60_000, `PTTL ${pttl}`);
      assert.equal(await client.pTTL(`${prefix}:{s}:forever`), -1);
      const counter = await client.pTTL(`${prefix}:{s}:counter`);
      assert.ok(counter > 25_000 && counter <= 30_000, `PTTL ${counter}`);
    } finally {
      await client.close();
      await store.close();
      await dropPrefix(prefix);
    }
  },
});

Deno.test({
  name: "RedisStore escapes scopes and keys in its key names",
  ignore,
  fn: async () => {
    const prefix = testPrefix();
    const store = await RedisStore.connect(URL, { prefix });
    try {
      await store.set("a:b", "c*{d}", 1);
      await store.set("a", "b:c", 2);
      assert.deepEqual(await rawKeys(prefix), [
        `${prefix}:{a%3Ab}:c%2A%7Bd%7D`,
        `${prefix}:{a}:b%3Ac`,
      ]);
    } finally {
      await store.close();
      await dropPrefix(prefix);
    }
  },
});

Deno.test({
  name: "RedisStore follows its clock: a value logically expired is gone though Redis keeps it",
  ignore,
  fn: async () => {
    const prefix = testPrefix();
    const fake = FakeTimers.createClock(Date.now());
    const store = await RedisStore.connect(URL, { prefix, clock: { now: () => fake.now } });
    try {
      await store.set("s", "k", "v", 3600);
      fake.tick(3_600_000);
      assert.deepEqual(await store.get("s", "k"), { found: false });
      assert.equal((await rawKeys(prefix)).length, 1);
    } finally {
      await store.close();
      await dropPrefix(prefix);
    }
  },
});

Deno.test({
  name: "RedisStore calls on a closed connection are UNAVAILABLE and name the URL",
  ignore,
  fn: async () => {
    const store = await RedisStore.connect(URL, { prefix: testPrefix() });
    await store.close();
    await store.close();
    await assert.rejects(
      store.get("s", "k"),
      (err) => err instanceof KilnError && err.code === "UNAVAILABLE" && err.message.includes(URL),
    );
  },
});

Deno.test("RedisStore.connect() to a closed port is UNAVAILABLE and names the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const url = `redis://:secret@127.0.0.1:${port}`;
  await assert.rejects(RedisStore.connect(url), (err) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "UNAVAILABLE");
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
});

Deno.test("RedisStore.connect() refuses a malformed URL or a prefix with braces", async () => {
  const isValidation = (err: unknown) =>
    err instanceof KilnError && err.code === "VALIDATION_ERROR";
  await assert.rejects(RedisStore.connect("http://127.0.0.1:6379"), isValidation);
  await assert.rejects(RedisStore.connect(URL, { prefix: "kiln{x}" }), isValidation);
});

Deno.test({
  name: "RedisStore: a paused Redis answers UNAVAILABLE at the command deadline instead of hanging",
  ignore: ignore || !(await hasRedisServer()),
  async fn() {
    const own = await startOwnRedis();
    const store = await RedisStore.connect(own.url);
    try {
      await store.set("s", "k", 1);
      own.pause();
      const t0 = Date.now();
      await assert.rejects(
        store.get("s", "k"),
        (err) => err instanceof KilnError && err.code === "UNAVAILABLE",
      );
      const took = Date.now() - t0;
      assert.ok(
        took >= REDIS_COMMAND_TIMEOUT_MS - 50 && took < REDIS_COMMAND_TIMEOUT_MS + 3_000,
        `answered after ${took} ms`,
      );
      own.resume();
      assert.deepEqual(await store.get("s", "k"), { found: true, value: 1 });
    } finally {
      own.resume();
      await store.close();
      await own.close();
    }
  },
});
