import assert from "node:assert/strict";
import { type KilnError, Lazy, silentLogger, systemClock } from "../../core/mod.ts";
import type { ExecutionJob } from "../tier.ts";
import { BackgroundContainerTier } from "./background_tier.ts";
import { startContainerTier } from "./kiln_wiring.ts";

const job = {
  request: { requestId: "r1", context: { appId: "shop", componentId: "c" }, requestData: {} },
  code: { kind: "python", source: "", entry: "handle_request", hash: "h" },
  limits: { timeoutMs: 1_000, memoryMb: 64, maxOutputBytes: 1 << 20 },
  host: { callTool: () => Promise.resolve(null), log: () => {} },
} as unknown as ExecutionJob;

/** The tier as `kiln serve` starts it with containers off: the real start, which answers null. */
function offTier(): BackgroundContainerTier {
  return new BackgroundContainerTier(() =>
    startContainerTier({
      enabled: false,
      dataDir: "/nonexistent",
      logger: silentLogger,
      clock: systemClock,
      registry: {
        listActiveApplications: () => [],
        getSandboxRequirements: () => ({ pools: [] }),
        onAppsChanged: () => () => {},
      },
      mcp: new Lazy("the /mcp endpoint"),
    })
  );
}

const settled = (p: Promise<unknown>, ms: number) =>
  Promise.race([
    p.then(() => true, () => true),
    new Promise((r) => setTimeout(() => r(false), ms)),
  ]);

Deno.test("BackgroundContainerTier holds executions until it begins, then refuses them when off", async () => {
  const tier = offTier();
  assert.equal(tier.unavailableReason(), null, "while starting, the tier counts as up");
  const run = tier.execute(job);
  const command = tier.executeCommand("shop", { command: "/bin/echo", arguments: [] }, []);
  assert.equal(await settled(run, 50), false, "an execution waits for the start");
  tier.begin();
  await assert.rejects(run, (err: KilnError) => err.code === "TIER_UNAVAILABLE");
  await assert.rejects(command, (err: KilnError) => err.code === "UNAVAILABLE");
  assert.match(tier.unavailableReason()!, /container tier is off/);
  assert.deepEqual(tier.stats(), { live: 0, busy: 0, queued: 0, kills: {} });
  await tier.close();
  assert.equal(tier.unavailableReason(), "the container tier is closed");
});

Deno.test("BackgroundContainerTier closed before it began never starts Docker", async () => {
  let started = false;
  const tier = new BackgroundContainerTier(() => {
    started = true;
    return Promise.resolve(null);
  });
  await tier.close();
  tier.begin();
  assert.equal(started, false);
  assert.equal(await tier.started, null);
});
