/**
 * The conformance suite every `StoreDriver` passes (Hono's common.case.test.ts pattern): one set of
 * behaviours, run against each driver by its own test file, so callers can switch drivers without
 * noticing. Time is fake: each test owns a `@sinonjs/fake-timers` clock that the driver reads.
 */
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { type Clock, type JsonValue, KilnError } from "../core/mod.ts";
import type { StoreDriver } from "./store.ts";

/** Builds a fresh, empty store that reads time from `clock`; `cleanup` closes and removes it. */
export type StoreFactory = (
  clock: Clock,
) => Promise<{ store: StoreDriver; cleanup(): Promise<void> }>;

type Fake = ReturnType<typeof FakeTimers.createClock>;

const isValidationError = (err: unknown) =>
  err instanceof KilnError && err.code === "VALIDATION_ERROR";

/** Registers the shared driver tests under `name`; `ignore` skips them (service missing). */
export function runStoreConformance(
  name: string,
  factory: StoreFactory,
  opts: { ignore?: boolean } = {},
): void {
  const test = (title: string, body: (store: StoreDriver, fake: Fake) => Promise<void>) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore: opts.ignore ?? false,
      fn: async () => {
        const fake = FakeTimers.createClock(Date.now());
        const { store, cleanup } = await factory({ now: () => fake.now });
        try {
          await body(store, fake);
        } finally {
          await cleanup();
        }
      },
    });

  test("get/set round-trips every JSON type", async (store) => {
    const values: JsonValue[] = [
      null,
      true,
      false,
      0,
      -1.5,
      1e300,
      Number.MAX_SAFE_INTEGER,
      "",
      "text",
      [],
      [1, "a", null, [true]],
      {},
      { nested: { list: [1, { deep: "x" }], flag: false, none: null } },
    ];
    for (const [i, value] of values.entries()) await store.set("s", `k${i}`, value);
    for (const [i, value] of values.entries()) {
      assert.deepEqual(await store.get("s", `k${i}`), { found: true, value });
    }
  });

  test("a missing key reads as not found, without a value", async (store) => {
    assert.deepEqual(await store.get("s", "nope"), { found: false });
  });

  test("scopes are isolated, even when names hold ':', '%', braces or glob characters", async (store) => {
    await store.set("one", "k", 1);
    await store.set("two", "k", 2);
    await store.set("a:b", "c", "scope a:b, key c");
    await store.set("a", "b:c", "scope a, key b:c");
    await store.set("a%3Ab", "c", "scope a%3Ab");
    await store.set("{x}", "k", "braces");
    await store.set("s*", "k", "star");
    await store.set("s1", "k", "s1");
    assert.deepEqual(await store.get("one", "k"), { found: true, value: 1 });
    assert.deepEqual(await store.get("two", "k"), { found: true, value: 2 });
    assert.deepEqual(await store.get("a:b", "c"), { found: true, value: "scope a:b, key c" });
    assert.deepEqual(await store.get("a", "b:c"), { found: true, value: "scope a, key b:c" });
    assert.deepEqual(await store.get("a%3Ab", "c"), { found: true, value: "scope a%3Ab" });
    assert.deepEqual(await store.get("a", "b"), { found: false });
    assert.deepEqual(await store.list("a:b"), [{ key: "c", value: "scope a:b, key c" }]);
    assert.deepEqual(await store.list("a"), [{ key: "b:c", value: "scope a, key b:c" }]);
    assert.deepEqual(await store.list("s*"), [{ key: "k", value: "star" }]);
    assert.equal(await store.deleteScope("s*"), 1);
    assert.deepEqual(await store.get("s1", "k"), { found: true, value: "s1" });
    assert.deepEqual(await store.get("{x}", "k"), { found: true, value: "braces" });
  });

  test("delete() reports whether the key existed", async (store) => {
    await store.set("s", "k", "v");
    assert.equal(await store.delete("s", "k"), true);
    assert.deepEqual(await store.get("s", "k"), { found: false });
    assert.equal(await store.delete("s", "k"), false);
    assert.equal(await store.delete("s", "never"), false);
  });

  test("a value expires exactly when its TTL has passed on the clock", async (store, fake) => {
    await store.set("s", "k", "v", 60);
    fake.tick(59_999);
    assert.deepEqual(await store.get("s", "k"), { found: true, value: "v" });
    fake.tick(1);
    assert.deepEqual(await store.get("s", "k"), { found: false });
    assert.deepEqual(await store.list("s"), []);
    assert.equal(await store.delete("s", "k"), false);
  });

  test("fractional TTLs count in milliseconds", async (store, fake) => {
    await store.set("s", "k", 1, 0.25);
    fake.tick(249);
    assert.equal((await store.get("s", "k")).found, true);
    fake.tick(1);
    assert.equal((await store.get("s", "k")).found, false);
  });

  test("overwriting without a TTL clears the TTL", async (store, fake) => {
    await store.set("s", "k", "old", 60);
    await store.set("s", "k", "new");
    fake.tick(3_600_000);
    assert.deepEqual(await store.get("s", "k"), { found: true, value: "new" });
  });

  test("overwriting with a TTL replaces the old TTL", async (store, fake) => {
    await store.set("s", "k", "old", 60);
    fake.tick(30_000);
    await store.set("s", "k", "new", 120);
    fake.tick(100_000);
    assert.deepEqual(await store.get("s", "k"), { found: true, value: "new" });
    fake.tick(20_000);
    assert.deepEqual(await store.get("s", "k"), { found: false });
  });

  test("a non-positive or non-finite TTL is a VALIDATION_ERROR", async (store) => {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(store.set("s", "k", 1, ttl), isValidationError);
      await assert.rejects(store.increment("s", "k", 1, ttl), isValidationError);
    }
    assert.deepEqual(await store.get("s", "k"), { found: false });
  });

  test(
    "setIfAbsent() stores only over a missing or expired key, and answers what is there",
    async (store, fake) => {
      assert.deepEqual(await store.setIfAbsent("s", "k", { run: 1 }, 10), { found: false });
      assert.deepEqual(await store.setIfAbsent("s", "k", { run: 2 }, 10), {
        found: true,
        value: { run: 1 },
      });
      assert.deepEqual(await store.get("s", "k"), { found: true, value: { run: 1 } });
      const many = await Promise.all([1, 2, 3, 4].map((n) => store.setIfAbsent("s", "race", n)));
      assert.equal(many.filter((e) => !e.found).length, 1, "exactly one concurrent claim wins");
      fake.tick(11_000);
      assert.deepEqual(await store.setIfAbsent("s", "k", { run: 3 }), { found: false });
      assert.deepEqual(await store.get("s", "k"), { found: true, value: { run: 3 } });
      await assert.rejects(store.setIfAbsent("s", "t", 1, 0), isValidationError);
    },
  );

  test("increment() of a missing key starts from zero", async (store) => {
    assert.equal(await store.increment("s", "n", 5), 5);
    assert.deepEqual(await store.get("s", "n"), { found: true, value: 5 });
  });

  test("increment() adds positive, negative and fractional amounts exactly", async (store) => {
    await store.set("s", "n", 10);
    assert.equal(await store.increment("s", "n", 3), 13);
    assert.equal(await store.increment("s", "n", -20), -7);
    await store.set("s", "f", 0.1);
    assert.equal(await store.increment("s", "f", 0.2), 0.1 + 0.2);
    await store.set("s", "third", 1 / 3);
    assert.equal(await store.increment("s", "third", 0), 1 / 3);
    await store.set("s", "big", 9007199254740000);
    assert.equal(await store.increment("s", "big", 1), 9007199254740001);
    assert.deepEqual(await store.get("s", "big"), { found: true, value: 9007199254740001 });
  });

  test("increment() of a non-number is a VALIDATION_ERROR and leaves it unchanged", async (store) => {
    const values: JsonValue[] = ["5", true, null, [1], { n: 1 }];
    for (const [i, value] of values.entries()) {
      await store.set("s", `k${i}`, value);
      await assert.rejects(store.increment("s", `k${i}`, 1), isValidationError);
      assert.deepEqual(await store.get("s", `k${i}`), { found: true, value });
    }
  });

  test("increment() by a non-finite amount or past the double range is refused", async (store) => {
    await store.set("s", "n", 1);
    await assert.rejects(store.increment("s", "n", Number.NaN), isValidationError);
    await assert.rejects(store.increment("s", "n", Number.POSITIVE_INFINITY), isValidationError);
    await store.set("s", "huge", Number.MAX_VALUE);
    await assert.rejects(store.increment("s", "huge", Number.MAX_VALUE), isValidationError);
    assert.deepEqual(await store.get("s", "huge"), { found: true, value: Number.MAX_VALUE });
  });

  test("increment() keeps an existing TTL", async (store, fake) => {
    await store.set("s", "n", 5, 60);
    fake.tick(30_000);
    assert.equal(await store.increment("s", "n", 1), 6);
    fake.tick(29_999);
    assert.deepEqual(await store.get("s", "n"), { found: true, value: 6 });
    fake.tick(1);
    assert.deepEqual(await store.get("s", "n"), { found: false });
  });

  test("increment() with ttlSeconds sets a new TTL", async (store, fake) => {
    assert.equal(await store.increment("s", "fresh", 1, 10), 1);
    await store.set("s", "kept", 1);
    assert.equal(await store.increment("s", "kept", 1, 10), 2);
    fake.tick(9_999);
    assert.equal((await store.get("s", "fresh")).found, true);
    assert.equal((await store.get("s", "kept")).found, true);
    fake.tick(1);
    assert.equal((await store.get("s", "fresh")).found, false);
    assert.equal((await store.get("s", "kept")).found, false);
  });

  test(
    "increment() of an expired value starts again from zero with no TTL",
    async (store, fake) => {
      await store.set("s", "n", 100, 10);
      fake.tick(10_000);
      assert.equal(await store.increment("s", "n", 1), 1);
      fake.tick(3_600_000);
      assert.deepEqual(await store.get("s", "n"), { found: true, value: 1 });
    },
  );

  test("50 concurrent increments add up exactly", async (store) => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.increment("s", "counter", 2)),
    );
    assert.deepEqual(await store.get("s", "counter"), { found: true, value: 100 });
    assert.deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => 2 * (i + 1)),
    );
  });

  test(
    "list() filters by prefix, sorts by code point and skips expired keys",
    async (store, fake) => {
      for (const key of ["b", "ab", "a:1", "a*", "a", "c", "z", "é", "\uFFFD", "😀"]) {
        await store.set("s", key, key);
      }
      await store.set("s", "a-expiring", 0, 5);
      await store.set("other", "a0", "elsewhere");
      fake.tick(5_000);
      const keys = async (prefix?: string) => (await store.list("s", prefix)).map((e) => e.key);
      assert.deepEqual(await keys("a"), ["a", "a*", "a:1", "ab"]);
      assert.deepEqual(await keys("a*"), ["a*"]);
      assert.deepEqual(await keys("x"), []);
      assert.deepEqual(await keys(), ["a", "a*", "a:1", "ab", "b", "c", "z", "é", "\uFFFD", "😀"]);
      assert.deepEqual(await store.list("s", "b"), [{ key: "b", value: "b" }]);
    },
  );

  test("deleteScope() removes only that scope and counts its live keys", async (store, fake) => {
    await store.set("gone", "a", 1);
    await store.set("gone", "b", { x: 1 });
    await store.set("gone", "c", "c");
    await store.set("gone", "old", 1, 1);
    await store.set("gone-too", "a", "neighbour");
    await store.set("kept", "a", 1);
    fake.tick(1_000);
    assert.equal(await store.deleteScope("gone"), 3);
    assert.deepEqual(await store.list("gone"), []);
    assert.deepEqual(await store.get("gone", "a"), { found: false });
    assert.deepEqual(await store.get("gone-too", "a"), { found: true, value: "neighbour" });
    assert.deepEqual(await store.get("kept", "a"), { found: true, value: 1 });
    assert.equal(await store.deleteScope("gone"), 0);
  });

  test("unicode keys and values and large values round-trip", async (store) => {
    const text = 'héllo wörld 😀 日本語 \u0000 \u2028 "quoted" \\ %3A {}';
    await store.set("s", "ключ 😀", text);
    assert.deepEqual(await store.get("s", "ключ 😀"), { found: true, value: text });
    const large = "x".repeat(512 * 1024 - 3) + "é😀";
    await store.set("s", "large", { large });
    assert.deepEqual(await store.get("s", "large"), { found: true, value: { large } });
    assert.deepEqual(await store.list("s", "ключ"), [{ key: "ключ 😀", value: text }]);
  });
}
