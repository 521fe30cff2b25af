import assert from "node:assert/strict";
import { join } from "node:path";
import FakeTimers from "@sinonjs/fake-timers";
import { KilnError } from "../core/mod.ts";
import { EmbeddedStore } from "./embedded_store.ts";
import { runStoreConformance } from "./store_common_case.ts";

runStoreConformance("EmbeddedStore (:memory:)", (clock) => {
  const store = EmbeddedStore.open(":memory:", { clock });
  return Promise.resolve({ store, cleanup: () => store.close() });
});

runStoreConformance("EmbeddedStore (file)", async (clock) => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-store-" });
  const store = EmbeddedStore.open(join(dir, "kiln.db"), { clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("EmbeddedStore keeps values and TTLs across a close and reopen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-store-" });
  const fake = FakeTimers.createClock(Date.now());
  const clock = { now: () => fake.now };
  const path = join(dir, "kiln.db");
  try {
    const first = EmbeddedStore.open(path, { clock });
    await first.set("app:shop", "cart", { items: [1, 2] });
    await first.set("app:shop", "session", "s1", 60);
    await first.increment("app:shop", "visits", 3);
    await first.close();

    const second = EmbeddedStore.open(path, { clock });
    assert.deepEqual(await second.get("app:shop", "cart"), {
      found: true,
      value: { items: [1, 2] },
    });
    assert.deepEqual(await second.get("app:shop", "visits"), { found: true, value: 3 });
    assert.deepEqual(await second.get("app:shop", "session"), { found: true, value: "s1" });
    fake.tick(60_000);
    assert.deepEqual(await second.get("app:shop", "session"), { found: false });
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EmbeddedStore.sweep() purges expired rows and reports how many", async () => {
  const fake = FakeTimers.createClock(Date.now());
  const store = EmbeddedStore.open(":memory:", { clock: { now: () => fake.now } });
  try {
    await store.set("s", "short", 1, 10);
    await store.set("s", "long", 2, 100);
    await store.set("t", "short", 3, 10);
    await store.set("s", "forever", 4);
    assert.equal(store.sweep(), 0);
    fake.tick(10_000);
    assert.equal(store.sweep(), 2);
    assert.equal(store.sweep(), 0);
    assert.deepEqual((await store.list("s")).map((e) => e.key), ["forever", "long"]);
    fake.tick(90_000);
    assert.equal(store.sweep(), 1);
    assert.deepEqual(await store.list("s"), [{ key: "forever", value: 4 }]);
  } finally {
    await store.close();
  }
});

Deno.test("EmbeddedStore.open() on an unusable path is UNAVAILABLE and names the path", () => {
  const path = "/nonexistent-kiln-dir/sub/kiln.db";
  assert.throws(
    () => EmbeddedStore.open(path),
    (err) => err instanceof KilnError && err.code === "UNAVAILABLE" && err.message.includes(path),
  );
});

Deno.test("EmbeddedStore runs in WAL mode on a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-store-" });
  try {
    const store = EmbeddedStore.open(join(dir, "kiln.db"));
    await store.set("s", "k", 1);
    await store.close();
    const header = await Deno.readFile(join(dir, "kiln.db"));
    assert.equal(header[18], 2, "file format write version 2 means WAL");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EmbeddedStore reads a value in well under 100 µs", async () => {
  const store = EmbeddedStore.open(":memory:");
  try {
    await store.set("app:bench", "hot", { user: "ada", cart: [1, 2, 3], total: 42.5 });
    const runs = 5_000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) await store.get("app:bench", "hot");
    const perGetUs = ((performance.now() - start) / runs) * 1000;
    assert.ok(perGetUs < 100, `a get took ${perGetUs.toFixed(1)} µs`);
  } finally {
    await store.close();
  }
});
