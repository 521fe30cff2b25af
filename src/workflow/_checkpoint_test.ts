import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { EmbeddedStore, type StoreDriver } from "../state/mod.ts";
import { settle, testEngine } from "./_test_support.ts";

const WAITS = `workflowId: waits
startAt: one
steps:
  one: { type: control, target: { subtype: wait, durationMs: 1000 }, transitions: [{ nextStep: two }] }
  two: { type: control, target: { subtype: wait, durationMs: 1000 }, transitions: [{ nextStep: done }] }
  done: { type: control, target: { subtype: succeed }, inputMapping: { ok: "true" } }
`;

/** An embedded store whose writes fail with UNAVAILABLE while `down` is set, as Redis away. */
function flaky(): { store: StoreDriver; down: { on: boolean }; failed: { n: number } } {
  const inner = EmbeddedStore.open(":memory:");
  const down = { on: false };
  const failed = { n: 0 };
  const store: StoreDriver = {
    kind: inner.kind,
    get: (scope, key) => inner.get(scope, key),
    set: (scope, key, value, ttl) => {
      if (down.on) {
        failed.n++;
        return Promise.reject(new KilnError("UNAVAILABLE", "Redis at redis://x is unavailable"));
      }
      return inner.set(scope, key, value, ttl);
    },
    setIfAbsent: (scope, key, value, ttl) => inner.setIfAbsent(scope, key, value, ttl),
    delete: (scope, key) => inner.delete(scope, key),
    increment: (scope, key, by, ttl) => inner.increment(scope, key, by, ttl),
    list: (scope, prefix) => inner.list(scope, prefix),
    deleteScope: (scope) => inner.deleteScope(scope),
    close: () => inner.close(),
  };
  return { store, down, failed };
}

Deno.test("a checkpoint save that fails while the store is away is retried, and the run ends", async () => {
  const { store, down, failed } = flaky();
  const t = testEngine({ waits: WAITS }, {}, {}, { store });
  try {
    const run = await t.engine.start("app", "waits", {});
    await settle();
    down.on = true;
    await t.clock.tickAsync(1_000); // `one` ends: its checkpoint fails
    await t.clock.tickAsync(8_000); // the store stays away 8 s; saves back off
    assert.ok(failed.n >= 3, `saves were retried (${failed.n} failures)`);
    assert.equal(t.engine.activeRuns, 1, "the run is still driven, not dropped");
    down.on = false;
    for (let i = 0; i < 50 && t.engine.activeRuns > 0; i++) await t.clock.tickAsync(500);
    const done = await t.engine.get("app", run.runId);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.deepEqual(done.trace.map((e) => e.stepId), ["one", "two", "done"]);
  } finally {
    await t.close();
    await store.close();
  }
});

Deno.test("a node shutting down stops retrying a failed save and leaves the run in flight", async () => {
  const { store, down } = flaky();
  const t = testEngine({ waits: WAITS }, {}, {}, { store });
  try {
    const run = await t.engine.start("app", "waits", {});
    await settle();
    down.on = true;
    await t.clock.tickAsync(1_500);
    const closing = t.engine.close();
    await t.clock.tickAsync(10);
    await closing;
    down.on = false;
    const seen = await t.engine.get("app", run.runId);
    assert.equal(seen.status, "running");
    const again = t.restart();
    assert.equal(await again.engine.resume(), 1);
    await again.clock.tickAsync(3_000);
    for (let i = 0; i < 50 && again.engine.activeRuns > 0; i++) await again.clock.tickAsync(500);
    assert.equal((await again.engine.get("app", run.runId)).status, "succeeded");
    await again.close();
  } finally {
    await store.close();
  }
});
