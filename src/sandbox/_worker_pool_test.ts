import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { WorkerPool } from "./_worker_pool.ts";

class Member {
  dead = false;
  terminate(): void {
    this.dead = true;
  }
}

Deno.test("WorkerPool reports a failed start for a while, then lets the next execution retry", async () => {
  const clock = FakeTimers.install({ toFake: ["performance", "setTimeout", "clearTimeout"] });
  try {
    let fail = true;
    let spawns = 0;
    const pool = new WorkerPool<Member>({
      tier: "wasm",
      what: "QuickJS",
      size: 1,
      maxQueue: 4,
      queueTimeoutMs: 1_000,
      spawn:
        () => (spawns++,
          fail ? Promise.reject(new Error("did not load")) : Promise.resolve(new Member())),
    });
    await assert.rejects(pool.acquire(), /cannot start QuickJS: did not load/);
    assert.equal(pool.spawnError, "did not load");
    await clock.tickAsync(2_500);
    assert.equal(pool.spawnError, null, "the refusal ends so that the tier is tried again");
    fail = false;
    const member = await pool.acquire();
    assert.equal(spawns, 2);
    pool.release(member);
    pool.close();
  } finally {
    clock.uninstall();
  }
});
