import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { type JsonValue, KilnError } from "../core/mod.ts";
import { EmbeddedStore } from "./embedded_store.ts";
import { MAX_KEY_LENGTH, MAX_TTL_SECONDS, RuntimeState } from "./runtime_state.ts";

type Fake = ReturnType<typeof FakeTimers.createClock>;

async function withRuntime(
  body: (runtime: RuntimeState, store: EmbeddedStore, fake: Fake) => Promise<void>,
  opts: { maxValueBytes?: number } = {},
): Promise<void> {
  const fake = FakeTimers.createClock(Date.now());
  const store = EmbeddedStore.open(":memory:", { clock: { now: () => fake.now } });
  try {
    await body(new RuntimeState(store, opts), store, fake);
  } finally {
    await store.close();
  }
}

const rejectsWith = (pattern?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
  assert.equal(err.code, "VALIDATION_ERROR");
  if (pattern) assert.match(err.message, pattern);
  return true;
};

Deno.test("RuntimeState sets, reads, increments and deletes a value", async () => {
  await withRuntime(async (runtime) => {
    assert.deepEqual(await runtime.getRuntimeValue("shop", "cart"), { found: false });
    await runtime.setRuntimeValue("shop", "cart", { items: [1, 2] });
    assert.deepEqual(await runtime.getRuntimeValue("shop", "cart"), {
      found: true,
      value: { items: [1, 2] },
    });
    assert.deepEqual(await runtime.incrementRuntimeValue("shop", "visits"), { value: 1 });
    assert.deepEqual(await runtime.incrementRuntimeValue("shop", "visits", 4), { value: 5 });
    assert.deepEqual(await runtime.listRuntimeKeys("shop"), ["cart", "visits"]);
    assert.deepEqual(await runtime.listRuntimeKeys("shop", "v"), ["visits"]);
    assert.deepEqual(await runtime.deleteRuntimeValue("shop", "cart"), { deleted: true });
    assert.deepEqual(await runtime.deleteRuntimeValue("shop", "cart"), { deleted: false });
  });
});

Deno.test("RuntimeState scopes keys to their app: app A never sees app B's values", async () => {
  await withRuntime(async (runtime, store) => {
    await runtime.setRuntimeValue("a", "secret", "of a");
    await runtime.setRuntimeValue("b", "secret", "of b");
    await runtime.incrementRuntimeValue("b", "n", 10);
    assert.deepEqual(await runtime.getRuntimeValue("a", "secret"), { found: true, value: "of a" });
    assert.deepEqual(await runtime.getRuntimeValue("a", "n"), { found: false });
    assert.deepEqual(await runtime.listRuntimeKeys("a"), ["secret"]);
    assert.deepEqual(await runtime.incrementRuntimeValue("a", "n"), { value: 1 });
    assert.deepEqual(await store.get("app:b", "secret"), { found: true, value: "of b" });
    assert.deepEqual(await runtime.deleteAllRuntimeValues("a"), { deleted: 2 });
    assert.deepEqual(await runtime.listRuntimeKeys("a"), []);
    assert.deepEqual(await runtime.listRuntimeKeys("b"), ["n", "secret"]);
    assert.deepEqual(await runtime.getRuntimeValue("b", "n"), { found: true, value: 10 });
  });
});

Deno.test("RuntimeState values expire after ttlSeconds on the clock", async () => {
  await withRuntime(async (runtime, _store, fake) => {
    await runtime.setRuntimeValue("shop", "session", "s", 30);
    await runtime.incrementRuntimeValue("shop", "hits", 1, 10);
    fake.tick(10_000);
    assert.deepEqual(await runtime.getRuntimeValue("shop", "hits"), { found: false });
    assert.deepEqual(await runtime.listRuntimeKeys("shop"), ["session"]);
    fake.tick(20_000);
    assert.deepEqual(await runtime.getRuntimeValue("shop", "session"), { found: false });
  });
});

Deno.test("RuntimeState refuses empty, too long and control-character keys", async () => {
  await withRuntime(async (runtime) => {
    const long = "k".repeat(MAX_KEY_LENGTH + 1);
    for (const key of ["", long, "a\nb", "nul\u0000", "del\u007f", "c1\u0085", "lone\uD800"]) {
      await assert.rejects(runtime.setRuntimeValue("shop", key, 1), rejectsWith(/runtime key/));
      await assert.rejects(runtime.getRuntimeValue("shop", key), rejectsWith(/runtime key/));
      await assert.rejects(runtime.incrementRuntimeValue("shop", key), rejectsWith(/runtime key/));
      await assert.rejects(runtime.deleteRuntimeValue("shop", key), rejectsWith(/runtime key/));
    }
    await assert.rejects(runtime.setRuntimeValue("shop", "a\nb", 1), rejectsWith(/"a\\nb"/));
    const longest = "k".repeat(MAX_KEY_LENGTH);
    await runtime.setRuntimeValue("shop", longest, 1);
    await runtime.setRuntimeValue("shop", "ключ 😀 with spaces/and:colons", 2);
    assert.deepEqual(await runtime.listRuntimeKeys("shop"), [
      longest,
      "ключ 😀 with spaces/and:colons",
    ]);
  });
});

Deno.test("RuntimeState refuses values that are not JSON, naming where", async () => {
  await withRuntime(async (runtime) => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [undefined, /\$ is undefined/],
      [() => 1, /\$ is a function/],
      [Number.NaN, /\$ is NaN/],
      [Number.POSITIVE_INFINITY, /is Infinity/],
      [Number.NEGATIVE_INFINITY, /is -Infinity/],
      [10n, /is a bigint/],
      [Symbol("s"), /is a symbol/],
      [cyclic, /\$\.self refers back to itself/],
      [[1, undefined], /\$\[1\] is undefined/],
      [{ a: { "odd key": undefined } }, /\$\.a\["odd key"\] is undefined/],
      [{ when: new Date(0) }, /\$\.when is a Date/],
      [new Map(), /is a Map/],
    ];
    for (const [value, pattern] of cases) {
      await assert.rejects(
        runtime.setRuntimeValue("shop", "k", value as JsonValue),
        rejectsWith(pattern),
      );
    }
    assert.deepEqual(await runtime.getRuntimeValue("shop", "k"), { found: false });
    const shared = { x: 1 };
    await runtime.setRuntimeValue("shop", "dag", { a: shared, b: [shared, shared] });
    assert.deepEqual(await runtime.getRuntimeValue("shop", "dag"), {
      found: true,
      value: { a: { x: 1 }, b: [{ x: 1 }, { x: 1 }] },
    });
    let deep: JsonValue = 0;
    for (let i = 0; i < 300; i++) deep = [deep];
    await assert.rejects(
      runtime.setRuntimeValue("shop", "deep", deep),
      (err) =>
        err instanceof KilnError && err.code === "LIMIT_EXCEEDED" && /deeper/.test(err.message),
    );
  });
});

Deno.test("RuntimeState caps the serialized size of a value in UTF-8 bytes", async () => {
  await withRuntime(async (runtime) => {
    await runtime.setRuntimeValue("shop", "fits", "x".repeat(98));
    await assert.rejects(
      runtime.setRuntimeValue("shop", "ascii", "x".repeat(99)),
      rejectsWith(/101 bytes as JSON; the limit is 100/),
    );
    await assert.rejects(
      runtime.setRuntimeValue("shop", "wide", "é".repeat(60)),
      rejectsWith(/122 bytes/),
    );
  }, { maxValueBytes: 100 });
  await withRuntime(async (runtime) => {
    await runtime.setRuntimeValue("shop", "half", "x".repeat(512 * 1024));
    await assert.rejects(
      runtime.setRuntimeValue("shop", "big", "x".repeat(1024 * 1024)),
      rejectsWith(/the limit is 1048576/),
    );
  });
});

Deno.test("RuntimeState accepts only positive finite TTLs up to ten years", async () => {
  await withRuntime(async (runtime) => {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, MAX_TTL_SECONDS + 1, "60"]) {
      await assert.rejects(
        runtime.setRuntimeValue("shop", "k", 1, ttl as number),
        rejectsWith(/ttlSeconds/),
      );
      await assert.rejects(
        runtime.incrementRuntimeValue("shop", "n", 1, ttl as number),
        rejectsWith(/ttlSeconds/),
      );
    }
    assert.deepEqual(await runtime.listRuntimeKeys("shop"), []);
    await runtime.setRuntimeValue("shop", "k", 1, MAX_TTL_SECONDS);
    await runtime.setRuntimeValue("shop", "half-second", 1, 0.5);
  });
});

Deno.test("RuntimeState refuses a non-finite increment and a non-numeric target", async () => {
  await withRuntime(async (runtime) => {
    for (const by of [Number.NaN, Number.POSITIVE_INFINITY, "1"]) {
      await assert.rejects(
        runtime.incrementRuntimeValue("shop", "n", by as number),
        rejectsWith(/by must be a finite number/),
      );
    }
    await runtime.setRuntimeValue("shop", "name", "ada");
    await assert.rejects(
      runtime.incrementRuntimeValue("shop", "name"),
      rejectsWith(/"name".*"ada".*not a number/),
    );
    assert.deepEqual(await runtime.incrementRuntimeValue("shop", "n", -2.5), { value: -2.5 });
  });
});

Deno.test("RuntimeState refuses an empty app id and an overlong prefix", async () => {
  await withRuntime(async (runtime) => {
    await assert.rejects(runtime.getRuntimeValue("", "k"), rejectsWith(/app id/));
    await assert.rejects(runtime.deleteAllRuntimeValues(""), rejectsWith(/app id/));
    await assert.rejects(
      runtime.listRuntimeKeys("shop", "p".repeat(MAX_KEY_LENGTH + 1)),
      rejectsWith(/prefix/),
    );
  });
});

Deno.test("RuntimeState refuses a value nested past json.depth without recursing into it", async () => {
  await withRuntime(async (runtime) => {
    let value: JsonValue = "leaf";
    for (let i = 0; i < 50_000; i++) value = [value];
    const started = performance.now();
    await assert.rejects(runtime.setRuntimeValue("shop", "deep", value), (err) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, "LIMIT_EXCEEDED");
      assert.equal((err.details as { limit: string }).limit, "json.depth");
      return true;
    });
    assert.ok(performance.now() - started < 500);
    let ok: JsonValue = 1;
    for (let i = 0; i < 100; i++) ok = [ok];
    await runtime.setRuntimeValue("shop", "fine", ok);
    assert.deepEqual((await runtime.getRuntimeValue("shop", "fine")).value, ok);
  });
});
