import assert from "node:assert/strict";
import { KilnError, silentLogger } from "../../core/mod.ts";
import {
  executeRequest,
  guestCode,
  RecordingHost,
  runTierConformance,
} from "../tier_common_case.ts";
import { DEFAULT_LIMITS, type ExecutionLimits } from "../tier.ts";
import { IsolateTier, type IsolateTierOptions } from "./isolate_tier.ts";

runTierConformance(
  "isolate tier",
  "esm",
  () => Promise.resolve(new IsolateTier({ logger: silentLogger, queueTimeoutMs: 2_000 })),
);

async function withTier(opts: Partial<IsolateTierOptions>, fn: (t: IsolateTier) => Promise<void>) {
  const tier = new IsolateTier({ logger: silentLogger, ...opts });
  try {
    await fn(tier);
  } finally {
    await tier.close();
  }
}

function run(
  tier: IsolateTier,
  body: string,
  o: { app?: string; host?: RecordingHost; limits?: Partial<ExecutionLimits> } = {},
) {
  return tier.execute({
    request: executeRequest(o.app ?? "iso"),
    code: guestCode(body, "esm"),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000, memoryMb: 64, ...o.limits },
    host: o.host ?? new RecordingHost(),
  });
}

const code = (expected: string) => (err: unknown) => {
  assert.ok(err instanceof KilnError, String(err));
  assert.equal(err.code, expected, err.message);
  return true;
};

Deno.test("IsolateTier keeps an app's module warm: module state survives between its requests", async () => {
  await withTier({}, async (tier) => {
    const body = `globalThis.hits = (globalThis.hits ?? 0) + 1; return globalThis.hits;`;
    assert.equal((await run(tier, body)).data, 1);
    assert.equal((await run(tier, body)).data, 2);
    assert.equal((await run(tier, body, { app: "other" })).data, 1, "apps never share a realm");
    assert.equal(Object.keys(tier.hostPids()).length, 2, "one host process per app");
  });
});

Deno.test("IsolateTier queues beyond an app's workers and refuses with OVERLOADED", async () => {
  await withTier({ workersPerApp: 1, maxQueue: 1, queueTimeoutMs: 1_500 }, async (tier) => {
    const slow = `await new Promise((r) => setTimeout(r, 600)); return "slow";`;
    const first = run(tier, slow);
    const queued = run(tier, `return "queued";`);
    queued.catch(() => {});
    await assert.rejects(run(tier, `return "third";`), code("OVERLOADED"));
    assert.equal((await first).data, "slow");
    assert.equal((await queued).data, "queued", "the queued execution ran once a worker was free");
    assert.equal((await run(tier, `return "other";`, { app: "b" })).data, "other");
  });
});

Deno.test("IsolateTier: a memory bomb ends only its app's host; other apps keep running", async () => {
  await withTier({}, async (tier) => {
    await run(tier, `return 1;`, { app: "calm" });
    const calmPid = tier.hostPids()["calm@64mb"];
    const steady = run(
      tier,
      `let n = 0; for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 25)); n++; } return n;`,
      { app: "calm" },
    );
    await assert.rejects(
      run(tier, `const keep = []; for (;;) keep.push(new Array(1e6).fill(1));`, {
        app: "bomb",
        limits: { timeoutMs: 20_000 },
      }),
      (err) => {
        code("SANDBOX_KILLED")(err);
        assert.equal(
          (err as KilnError).details && (err as { details: { reason: string } }).details.reason,
          "memory",
        );
        assert.match((err as Error).message, /exceeded its 64 MB memory limit/);
        return true;
      },
    );
    assert.equal((await steady).data, 20, "the other app's execution was not disturbed");
    assert.equal(tier.hostPids()["calm@64mb"], calmPid, "the other app's host kept running");
    assert.equal((await run(tier, `return "back";`, { app: "bomb" })).data, "back");
    assert.equal(tier.stats().kills.memory, 1);
  });
});

Deno.test("IsolateTier says why it cannot run without permission to start deno", async () => {
  await withTier({ denoPath: "/nonexistent/deno" }, async (tier) => {
    const why = tier.unavailableReason();
    if (why === null) {
      await assert.rejects(run(tier, `return 1;`), code("TIER_UNAVAILABLE"));
    } else assert.match(why, /nonexistent\/deno/);
  });
});
