import assert from "node:assert/strict";
import type { SandboxPool } from "../src/models/mod.ts";
import { DENO_RUNNER_IMAGE } from "../src/sandbox/container/mod.ts";
import {
  docker,
  dockerTests,
  engine,
  eventually,
  HoldingHost,
  jsJob,
  kilnError,
  ownContainers,
  withTier,
} from "./_support/containers.ts";

const { ignore } = await dockerTests();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, fn, sanitizeOps: false, sanitizeResources: false });

const pool = (poolName: string, o: Partial<SandboxPool> = {}): SandboxPool => ({
  poolName,
  dockerImage: DENO_RUNNER_IMAGE,
  minInstances: 1,
  maxInstances: 2,
  resourceLimits: { cpuLimit: 0.5, memoryLimit: "192m" },
  volumeMounts: [],
  egress: false,
  ...o,
});

test("a pool keeps minInstances warm, locked down and labelled, and goes when its app does", async () => {
  await withTier({}, async (tier) => {
    tier.setAppPools("pool-app", [pool("web", { minInstances: 2, maxInstances: 3 })]);
    await eventually(
      async () => (await ownContainers(tier)).filter((c) => c.state === "running").length === 2,
      30_000,
      "two warm containers",
    );
    const [first] = await ownContainers(tier);
    assert.equal(first.labels["kiln.managed"], "true");
    assert.equal(first.labels["kiln.instance"], tier.instance.id);
    assert.equal(first.labels["kiln.app"], "pool-app");
    assert.equal(first.labels["kiln.pool"], "web");
    const info = await engine.getContainer(first.id).inspect();
    const host = info.HostConfig as Record<string, unknown>;
    assert.equal(host.NetworkMode, "none");
    assert.equal(host.ReadonlyRootfs, true);
    assert.deepEqual(host.CapDrop, ["ALL"]);
    assert.deepEqual(host.SecurityOpt, ["no-new-privileges"]);
    assert.equal(host.Memory, 192 << 20);
    assert.equal(host.NanoCpus, 5e8);
    assert.equal(host.PidsLimit, 64);
    assert.match(String((host.Tmpfs as Record<string, string>)["/tmp"]), /size=/);
    assert.equal((info.Config as Record<string, unknown>).User, "10001:10001");

    const job = { ...jsJob(`return "served";`, { appId: "pool-app" }) };
    job.request.taskDetails = { targetPoolName: "web" };
    assert.equal((await tier.execute(job)).data, "served");

    tier.setAppPools("pool-app", null);
    await eventually(async () => (await ownContainers(tier)).length === 0, 20_000, "pool closed");
    assert.deepEqual(tier.poolStats(), {});
  });
});

test("containers are recycled after N executions and by age, and unhealthy ones replaced", async () => {
  let now = Date.now();
  await withTier({
    clock: { now: () => now },
    poolDefaults: { minInstances: 1, maxInstances: 1, maxExecutions: 2, maxAgeMs: 60_000 },
  }, async (tier) => {
    const ids = async () => (await ownContainers(tier)).map((c) => c.id).sort();
    assert.equal((await tier.execute(jsJob(`return 1;`))).data, 1);
    const before = await ids();
    assert.equal(before.length, 1);
    assert.equal((await tier.execute(jsJob(`return 2;`))).data, 2);
    await eventually(
      async () => {
        const after = await ids();
        return after.length === 1 && after[0] !== before[0];
      },
      20_000,
      "recycled after 2 executions",
    );

    const idle = () => Object.values(tier.poolStats()).some((p) => p.idle === 1);
    await eventually(() => Promise.resolve(idle()), 20_000, "an idle container");
    const young = await ids();
    await tier.maintain();
    assert.deepEqual(await ids(), young, "a young, healthy container is kept");
    now += 61_000;
    await tier.maintain();
    await eventually(
      async () => {
        const after = await ids();
        return after.length === 1 && after[0] !== young[0];
      },
      20_000,
      "recycled by age",
    );

    await eventually(() => Promise.resolve(idle()), 20_000, "an idle container");
    const [victim] = await ids();
    await engine.getContainer(victim).kill();
    await tier.maintain();
    await eventually(
      async () => {
        const after = await ids();
        return after.length === 1 && after[0] !== victim;
      },
      20_000,
      "unhealthy replaced",
    );
    assert.equal((await tier.execute(jsJob(`return "healed";`))).data, "healed");
  });
});

test("allocation under contention: at most maxInstances run, the rest queue, then OVERLOADED", async () => {
  await withTier({
    poolDefaults: { minInstances: 0, maxInstances: 2, queueTimeoutMs: 15_000, maxQueue: 3 },
  }, async (tier) => {
    const host = new HoldingHost();
    // Held runs outlive the assertions: on a loaded machine the second container can start
    // seconds after the first, and a held run past its deadline frees its slot.
    const limits = { timeoutMs: 60_000 };
    const runs = [1, 2, 3, 4, 5].map((i) =>
      tier.execute(jsJob(`return await mcp.call("hold", ${i});`, { host, limits }))
    );
    // Should an assertion below fail, the held runs time out later: not as uncaught errors.
    for (const run of runs) run.catch(() => {});
    await host.waitFor(2);
    // The three beyond maxInstances reach the queue on their own schedule on a loaded machine.
    await eventually(
      () => Promise.resolve(tier.stats().queued === 3),
      10_000,
      "three executions queued",
    );
    assert.deepEqual(
      { ...tier.stats(), kills: undefined },
      { live: 2, busy: 2, queued: 3, kills: undefined },
    );
    await assert.rejects(tier.execute(jsJob(`return 6;`)), kilnError("OVERLOADED"));
    let done = false;
    Promise.allSettled(runs).then(() => (done = true));
    while (!done) {
      host.releaseAll();
      await new Promise((r) => setTimeout(r, 50));
    }
    const data = (await Promise.all(runs)).map((r) => r.data);
    assert.deepEqual(data, [1, 2, 3, 4, 5].map((i) => ({ held: i })));
    assert.ok((await ownContainers(tier)).length <= 2);
  });
  await withTier({
    poolDefaults: { minInstances: 0, maxInstances: 1, queueTimeoutMs: 300 },
  }, async (tier) => {
    const host = new HoldingHost();
    const busy = tier.execute(jsJob(`return await mcp.call("hold", 1);`, { host }));
    busy.catch(() => {});
    await host.waitFor(1);
    const started = Date.now();
    await assert.rejects(tier.execute(jsJob(`return 2;`)), (err) => {
      kilnError("OVERLOADED")(err);
      assert.match((err as Error).message, /within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
    host.releaseAll();
    assert.deepEqual((await busy).data, { held: 1 });
  });
});

test("a container dying mid-request fails that request clearly and the pool heals", async () => {
  await withTier({ poolDefaults: { minInstances: 1, maxInstances: 1 } }, async (tier) => {
    const host = new HoldingHost();
    const running = tier.execute(jsJob(`return await mcp.call("hold", 1);`, { host }));
    const failure = running.then(() => null, (err) => err);
    await host.waitFor(1);
    const [victim] = await ownContainers(tier);
    await engine.getContainer(victim.id).kill();
    await assert.rejects(failure.then((err) => Promise.reject(err)), (err) => {
      kilnError("SANDBOX_KILLED", "crash")(err);
      assert.match((err as Error).message, /crashed its sandbox container/);
      return true;
    });
    host.releaseAll();
    assert.equal((await tier.execute(jsJob(`return "fresh";`))).data, "fresh");
    await eventually(
      async () => {
        const live = await ownContainers(tier);
        return live.length === 1 && live[0].id !== victim.id && live[0].state === "running";
      },
      20_000,
      "the pool back at its minimum",
    );
    assert.equal(tier.stats().kills.crash, 1);
  });
  assert.ok(await docker.imageExists(DENO_RUNNER_IMAGE));
});

test("a pool whose image is missing answers TIER_UNAVAILABLE at once, naming the image", async () => {
  await withTier({ images: { deno: "kiln/no-such-image:0" } }, async (tier) => {
    const started = Date.now();
    await assert.rejects(tier.execute(jsJob(`return 1;`)), (err) => {
      kilnError("TIER_UNAVAILABLE")(err);
      assert.match((err as Error).message, /no-such-image/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(await ownContainers(tier), []);
  });
});

test("a caller going away while queued or running stops waiting, and the pool keeps serving", async () => {
  await withTier({ poolDefaults: { minInstances: 1, maxInstances: 1 } }, async (tier) => {
    const host = new HoldingHost();
    const running = new AbortController();
    const busy = tier.execute({
      ...jsJob(`return await mcp.call("hold", 1);`, { host }),
      signal: running.signal,
    });
    const busyOutcome = busy.then(() => null, (err) => err);
    await host.waitFor(1);
    const queued = new AbortController();
    const waiting = tier.execute({ ...jsJob(`return 2;`), signal: queued.signal });
    const waitingOutcome = waiting.then(() => null, (err) => err);
    queued.abort();
    kilnError("EXECUTION_TIMEOUT", "timeout")(await waitingOutcome);
    running.abort();
    const err = await busyOutcome;
    kilnError("EXECUTION_TIMEOUT", "timeout")(err);
    assert.equal((err.details as { aborted?: boolean }).aborted, true);
    host.releaseAll();
    assert.equal((await tier.execute(jsJob(`return "after";`))).data, "after");
  });
});
