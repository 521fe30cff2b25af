import assert from "node:assert/strict";
import { requireService } from "../../tests/_support/services.ts";
import { KilnError } from "../core/mod.ts";
import { closeRedis, connectRedis, RedisStore } from "../state/mod.ts";
import { RunStore } from "./run_store.ts";
import type { RunRecord } from "./types.ts";

const URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
const { ignore } = await requireService("redis", async () => {
  await (await RedisStore.connect(URL)).close();
  return true;
}, URL);

function record(step: string, status: RunRecord["status"] = "running"): RunRecord {
  return {
    runId: "r1",
    appId: "app",
    workflowId: "wf",
    revision: "rev",
    status,
    trigger: null,
    context: {},
    createdAt: 1,
    updatedAt: 2,
    next: step,
    outputs: {},
    trace: [],
  } as unknown as RunRecord;
}

Deno.test({
  name: "RunStore.save() with a lost lease is refused with CONFLICT lease_lost; the record stays",
  ignore,
  async fn() {
    const prefix = `kiln-test-${crypto.randomUUID().slice(0, 8)}`;
    const store = await RedisStore.connect(URL, { prefix });
    const raw = await connectRedis(URL);
    const runs = new RunStore(store, 60);
    const lease = `${prefix}:cluster:{run:r1}:lease`;
    try {
      await raw.set(lease, "a");
      await runs.index(record("s1"));
      await runs.save(record("s1"), { key: lease, holder: "a" });
      // The lease moved to b, which checkpoints further.
      await raw.set(lease, "b");
      await runs.save(record("s2"), { key: lease, holder: "b" });
      // a's late saves, a checkpoint and even its end, are refused.
      for (const late of [record("s1b"), record("s1b", "failed")]) {
        await assert.rejects(runs.save(late, { key: lease, holder: "a" }), (err) => {
          assert.ok(err instanceof KilnError && err.code === "CONFLICT", String(err));
          assert.deepEqual(err.details, { reason: "lease_lost", runId: "r1" });
          return true;
        });
      }
      assert.equal((await runs.get("app", "r1"))?.next, "s2");
      assert.equal((await runs.get("app", "r1"))?.status, "running");
      assert.deepEqual(await runs.inFlight(), [{ appId: "app", runId: "r1" }], "still in flight");
      // Without a fence (one node, no cluster) saves are plain writes, as before.
      await runs.save(record("s3"));
      assert.equal((await runs.get("app", "r1"))?.next, "s3");
    } finally {
      for await (const keys of raw.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
        if (keys.length > 0) await raw.unlink(keys);
      }
      await closeRedis(raw);
      await store.close();
    }
  },
});
