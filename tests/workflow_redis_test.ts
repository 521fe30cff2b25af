import assert from "node:assert/strict";
import { silentLogger } from "../src/core/mod.ts";
import { RedisStore } from "../src/state/mod.ts";
import type { RunEvent } from "../src/workflow/mod.ts";
import { testEngine } from "../src/workflow/_test_support.ts";
import { requireService } from "./_support/services.ts";
import { dropKeys } from "./_support/redis_server.ts";

const URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
const { ignore } = await requireService("redis", async () => {
  await (await RedisStore.connect(URL)).close();
  return true;
}, URL);

const WORKFLOW = `workflowId: slow
startAt: once
steps:
  once:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'n'" }
    safeToRepeat: false
    transitions: [{ nextStep: pause }]
  pause: { type: control, target: { subtype: wait, durationMs: 60000 }, transitions: [{ nextStep: done }] }
  done: { type: control, target: { subtype: succeed }, inputMapping: { n: steps.once.output.n } }
`;

Deno.test({
  name: "runs checkpoint to Redis and another node's engine resumes them",
  ignore,
  async fn() {
    const prefix = `kiln-test-${crypto.randomUUID()}`;
    let n = 0;
    const tools = { "core.state.incrementRuntimeValue": () => ({ n: ++n }) };
    const storeA = await RedisStore.connect(URL, { prefix });
    const storeB = await RedisStore.connect(URL, { prefix });
    const a = testEngine({ slow: WORKFLOW }, {}, tools, { store: storeA });
    try {
      const run = await a.engine.start("app", "slow", {});
      // Redis answers in real time: wait for the first checkpoint, then stop mid-wait.
      for (let i = 0; i < 200; i++) {
        const seen = await a.engine.get("app", run.runId);
        if (seen.inFlight?.stepId === "pause") break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await a.clock.tickAsync(1000);
      await a.engine.close();
      const b = testEngine({ slow: WORKFLOW }, {}, tools, { store: storeB, clock: a.clock });
      assert.equal(await b.engine.resume(), 1);
      await b.clock.tickAsync(60_000);
      let done = await b.engine.get("app", run.runId);
      for (let i = 0; i < 200 && done.status === "running"; i++) {
        await new Promise((r) => setTimeout(r, 10));
        await b.clock.tickAsync(100);
        done = await b.engine.get("app", run.runId);
      }
      assert.equal(done.status, "succeeded", JSON.stringify(done.error));
      assert.deepEqual(done.result?.data, { n: 1 });
      assert.equal(n, 1);
      assert.equal((await b.engine.list("app")).length, 1);
      await b.close();
    } finally {
      await storeA.close();
      await storeB.close();
      await dropKeys(URL, prefix);
    }
  },
});

Deno.test({
  name: "one idempotency key started at once on two nodes sharing Redis starts one run",
  ignore,
  async fn() {
    const prefix = `kiln-test-${crypto.randomUUID()}`;
    const storeA = await RedisStore.connect(URL, { prefix });
    const storeB = await RedisStore.connect(URL, { prefix });
    const a = testEngine({ slow: WORKFLOW }, {}, {}, { store: storeA });
    const b = testEngine({ slow: WORKFLOW }, {}, {}, { store: storeB, clock: a.clock });
    try {
      const starts = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) =>
            (i % 2 ? b : a).engine.start("app", "slow", { x: 1 }, { idempotencyKey: "order-7" }),
        ),
      );
      assert.equal(new Set(starts.map((r) => r.runId)).size, 1, "every start answers the same run");
      assert.equal((await a.engine.list("app")).length, 1);
      await assert.rejects(
        b.engine.start("app", "slow", { x: 2 }, { idempotencyKey: "order-7" }),
        (err: Error & { code?: string }) => err.code === "CONFLICT",
      );
    } finally {
      await a.engine.close();
      await b.engine.close();
      await storeA.close();
      await storeB.close();
      await dropKeys(URL, prefix);
    }
  },
});

Deno.test({
  name: "cancelling on one cluster node a run another node drives stops it there",
  ignore,
  async fn() {
    const prefix = `kiln-test-${crypto.randomUUID()}`;
    const { connectRedis, closeRedis } = await import("../src/cluster/_redis.ts");
    const { RunLeaseManager } = await import("../src/cluster/leases.ts");
    const { SharedRunEvents } = await import("../src/cluster/shared_events.ts");
    const clients: Awaited<ReturnType<typeof connectRedis>>[] = [];
    const node = async (nodeId: string) => {
      const client = await connectRedis(URL);
      const sub = client.duplicate();
      sub.on("error", () => {});
      await sub.connect();
      clients.push(client, sub);
      const logger = silentLogger;
      return {
        store: await RedisStore.connect(URL, { prefix }),
        leases: new RunLeaseManager({ client, nodeId, prefix, logger }),
        events: new SharedRunEvents<RunEvent>({
          publisher: client,
          subscriber: sub,
          nodeId,
          prefix,
          logger,
        }),
      };
    };
    const na = await node("a");
    const nb = await node("b");
    const a = testEngine({ slow: WORKFLOW }, {}, {
      "core.state.incrementRuntimeValue": () => ({ n: 1 }),
    }, na);
    const b = testEngine({ slow: WORKFLOW }, {}, {}, { ...nb, clock: a.clock });
    try {
      const run = await a.engine.start("app", "slow", {});
      await new Promise((r) => setTimeout(r, 200)); // the cancel channel is subscribed
      const seen: string[] = [];
      b.engine.subscribe(run.runId, (e) => seen.push(e.status));
      await new Promise((r) => setTimeout(r, 100));
      const cancelled = await b.engine.cancel("app", run.runId);
      assert.equal(cancelled.status, "cancelled");
      assert.equal(a.engine.activeRuns, 0, "the owner stopped driving it");
      assert.equal((await a.engine.get("app", run.runId)).status, "cancelled");
      for (let i = 0; i < 20 && !seen.includes("cancelled"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(seen.includes("cancelled"), "b's subscriber saw a's run event");
    } finally {
      await a.engine.close();
      await b.engine.close();
      for (const n of [na, nb]) {
        n.leases.close();
        await n.store.close();
      }
      for (const c of clients) await closeRedis(c);
      await dropKeys(URL, prefix);
    }
  },
});
