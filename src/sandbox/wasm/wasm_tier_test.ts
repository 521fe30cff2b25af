import assert from "node:assert/strict";
import { KilnError, silentLogger } from "../../core/mod.ts";
import type { ExecuteResponse } from "../../models/mod.ts";
import {
  executeRequest,
  guestCode,
  RecordingHost,
  runTierConformance,
} from "../tier_common_case.ts";
import { DEFAULT_LIMITS, type ExecutionJob, type ExecutionLimits } from "../tier.ts";
import type { ComponentRunner } from "./component_runner.ts";
import { MIRRORED_SOURCES } from "./_source_mirror.ts";
import { WasmTier, type WasmTierOptions } from "./wasm_tier.ts";

runTierConformance(
  "wasm tier",
  "iife",
  () => Promise.resolve(new WasmTier({ logger: silentLogger, workers: 2 })),
);

/** A host whose tool calls wait until the test lets them go. */
class HoldingHost extends RecordingHost {
  readonly #held: (() => void)[] = [];
  #arrived: (() => void) | null = null;
  override callTool(tool: string, params: unknown): Promise<unknown> {
    if (tool !== "hold") return super.callTool(tool, params);
    this.calls.push({ tool, params });
    this.#arrived?.();
    return new Promise((resolve) => this.#held.push(() => resolve({ held: params })));
  }
  /** Resolves once `n` held calls are waiting. */
  waitFor(n: number): Promise<void> {
    if (this.#held.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      this.#arrived = () => {
        if (this.#held.length + 1 >= n) resolve();
      };
    });
  }
  releaseAll(): void {
    for (const go of this.#held.splice(0)) go();
  }
}

function job(
  body: string,
  o: { host?: RecordingHost; limits?: Partial<ExecutionLimits>; signal?: AbortSignal } = {},
): ExecutionJob {
  return {
    request: executeRequest("wasm-app"),
    code: guestCode(body, "iife"),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 3_000, ...o.limits },
    host: o.host ?? new RecordingHost(),
    signal: o.signal,
  };
}

function kiln(code: string, reason?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, code, err.message);
    if (reason) assert.equal((err.details as { reason?: string }).reason, reason);
    return true;
  };
}

async function withTier(
  opts: Partial<WasmTierOptions>,
  body: (tier: WasmTier) => Promise<void>,
): Promise<void> {
  const tier = new WasmTier({ logger: silentLogger, workers: 1, ...opts });
  try {
    await body(tier);
  } finally {
    await tier.close();
  }
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

test("WasmTier runs concurrent executions each against its own host", async () => {
  await withTier({ workers: 3 }, async (tier) => {
    const hosts = Array.from({ length: 6 }, () => new RecordingHost());
    const results = await Promise.all(hosts.map((host, i) =>
      tier.execute(job(
        `const r = await mcp.call("core.state.getRuntimeValue", { key: "k".repeat(${i}) });
         console.info("run", ${i});
         return r.value;`,
        { host },
      ))
    ));
    assert.deepEqual(results.map((r) => r.data), [0, 1, 2, 3, 4, 5]);
    hosts.forEach((host, i) => {
      assert.equal(host.calls.length, 1);
      assert.deepEqual(host.logs, [{ level: "info", message: `run ${i}`, source: "console" }]);
    });
    const { live, ...rest } = tier.stats();
    assert.deepEqual(rest, { busy: 0, queued: 0, kills: {} });
    assert.ok(live >= 1 && live <= 3, `${live} workers`);
  });
});

test("WasmTier holds the memory limit of each execution", async () => {
  await withTier({}, async (tier) => {
    const body = `const keep = []; for (let i = 0; i < 40; i++) keep.push(new Uint8Array(1 << 20));
      return keep.length;`;
    assert.equal((await tier.execute(job(body, { limits: { memoryMb: 64 } }))).data, 40);
    await assert.rejects(
      tier.execute(job(body, { limits: { memoryMb: 16 } })),
      kiln("SANDBOX_KILLED", "memory"),
    );
    assert.equal((await tier.execute(job(body, { limits: { memoryMb: 64 } }))).data, 40);
    assert.deepEqual(tier.stats().kills, { memory: 1 });
  });
});

test("WasmTier terminates a worker stuck past its deadline and replaces it", async () => {
  await withTier({ watchdogGraceMs: 100 }, async (tier) => {
    const stuck = `return JSON.stringify(new Array(8e6).fill({ a: 1 })).length;`;
    // Load a 256 MB QuickJS instance first, so the 50 ms deadline is spent inside the guest.
    await tier.execute(job(`return 0;`, { limits: { memoryMb: 256 } }));
    const started = performance.now();
    await assert.rejects(
      tier.execute(job(stuck, { limits: { timeoutMs: 50, memoryMb: 256 } })),
      (err) => {
        kiln("EXECUTION_TIMEOUT", "timeout")(err);
        assert.match(
          String((err as KilnError).details && JSON.stringify((err as KilnError).details)),
          /did not stop/,
        );
        return true;
      },
    );
    assert.ok(performance.now() - started < 1_500, "the watchdog waited for the guest");
    assert.equal((await tier.execute(job(`return "alive";`))).data, "alive");
    assert.equal(tier.stats().kills.timeout, 1);
  });
});

test("WasmTier refuses work beyond its workers and queue with OVERLOADED", async () => {
  await withTier({ workers: 1, maxQueue: 1, queueTimeoutMs: 1_000 }, async (tier) => {
    const host = new HoldingHost();
    const busy = tier.execute(job(`return await mcp.call("hold", 1);`, { host }));
    await host.waitFor(1);
    const queued = tier.execute(job(`return await mcp.call("hold", 2);`, { host }));
    queued.catch(() => {}); // awaited below; a late queue timeout must not go unhandled first
    await assert.rejects(tier.execute(job(`return 3;`)), kiln("OVERLOADED"));
    assert.deepEqual({ ...tier.stats(), kills: undefined }, {
      live: 1,
      busy: 1,
      queued: 1,
      kills: undefined,
    });
    host.releaseAll();
    assert.deepEqual((await busy).data, { held: 1 });
    await host.waitFor(1);
    const late = tier.execute(job(`return 4;`));
    await assert.rejects(late, kiln("OVERLOADED"));
    host.releaseAll();
    assert.deepEqual((await queued).data, { held: 2 });
  });
});

test("WasmTier cancels a run whose caller went away and keeps its worker", async () => {
  await withTier({ workers: 1 }, async (tier) => {
    const aborted = (err: unknown) => {
      kiln("EXECUTION_TIMEOUT", "timeout")(err);
      assert.equal(
        (err as KilnError).details && (err as { details: { aborted?: boolean } }).details.aborted,
        true,
      );
      return true;
    };
    // Waiting on a tool call: the cancel message wakes it.
    const host = new HoldingHost();
    const abort = new AbortController();
    const running = tier.execute(
      job(`return await mcp.call("hold");`, { host, signal: abort.signal }),
    );
    await host.waitFor(1);
    abort.abort();
    await assert.rejects(running, aborted);
    assert.equal(tier.stats().live, 1, "the worker was kept, not terminated");
    // Busy in a loop that never yields: the interrupt handler reads the shared cancel cell.
    const spin = new AbortController();
    const started = performance.now();
    const spinning = tier.execute(
      job(`for (;;) {}`, { signal: spin.signal, limits: { timeoutMs: 20_000 } }),
    );
    setTimeout(() => spin.abort(), 300);
    await assert.rejects(spinning, aborted);
    assert.ok(performance.now() - started < 10_000, "stopped long before its deadline");
    assert.equal(tier.stats().live, 1, "the worker was kept, not terminated");
    assert.equal((await tier.execute(job(`return "alive";`))).data, "alive");
  });
});

test("WasmTier hands WASI components to its runner and refuses other code", async () => {
  const component: ExecutionJob = {
    ...job(""),
    code: { kind: "wasm-component", bytes: new Uint8Array([0]), entry: "handle", hash: "c1" },
  };
  await withTier({}, async (tier) => {
    await assert.rejects(tier.execute(component), (err) => {
      kiln("TIER_UNAVAILABLE")(err);
      assert.match((err as Error).message, /WASI components are not enabled/);
      return true;
    });
    await assert.rejects(
      tier.execute({ ...job(""), code: guestCode("return 1;", "esm") }),
      kiln("TIER_UNAVAILABLE"),
    );
  });
  const seen: ExecutionJob[] = [];
  const components: ComponentRunner = {
    run(job): Promise<ExecuteResponse> {
      seen.push(job);
      return Promise.resolve({
        requestId: job.request.requestId,
        resultType: "generic",
        data: "from component",
        metrics: { execution_time_ms: 1, mcp_calls: [] },
      });
    },
    close: () => Promise.resolve(),
  };
  await withTier({ components }, async (tier) => {
    assert.equal((await tier.execute(component)).data, "from component");
    assert.equal(seen.length, 1);
  });
});

test("WasmTier after close refuses work and ends running executions with reason shutdown", async () => {
  const tier = new WasmTier({ logger: silentLogger, workers: 1 });
  const host = new HoldingHost();
  const running = tier.execute(job(`return await mcp.call("hold");`, { host }));
  await host.waitFor(1);
  await tier.close();
  await assert.rejects(running, kiln("SANDBOX_KILLED", "shutdown"));
  await assert.rejects(tier.execute(job(`return 1;`)), kiln("TIER_UNAVAILABLE"));
  assert.equal(tier.unavailableReason(), "the wasm tier is closed");
});

test("WasmTier runs each bundle right once its worker holds more bundles than it keeps", async () => {
  await withTier({}, async (tier) => {
    // One worker: its source mirror and the host's must agree through every eviction, else a
    // run is refused as a crash or runs the wrong bundle.
    const n = MIRRORED_SOURCES + 8;
    const order = [
      ...Array.from({ length: n }, (_, i) => i),
      ...Array.from({ length: n }, (_, i) => n - 1 - i),
      0,
      0,
      n - 1,
    ];
    for (const i of order) {
      const res = await tier.execute(job(`return ["bundle", ${i}, requestData.input ?? null];`));
      assert.deepEqual(res.data, ["bundle", i, null]);
    }
    assert.deepEqual(tier.stats().kills, {});
  });
});

test("WasmTier: an app whose runs are long never holds every worker while another app waits", async () => {
  await withTier({ workers: 2 }, async (tier) => {
    const host = new HoldingHost();
    const slow = (n: number) =>
      tier.execute({
        ...job(`return await mcp.call("hold", ${n});`, { host }),
        request: executeRequest("slow-app"),
      });
    // A burst from an app that has not finished a run yet: it gets one worker, not both.
    const burst = [1, 2, 3].map(slow);
    await host.waitFor(1);
    const quick = await tier.execute({
      ...job(`return "quick";`),
      request: executeRequest("quick-app"),
    });
    assert.equal(quick.data, "quick", "another app ran while the slow app's runs were held");
    assert.equal(host.calls.length, 1, "the slow app's other runs waited");
    // Its runs end after 100 ms each, so it is known slow: still one worker at a time.
    for (let ended = 1; ended <= 3; ended++) {
      await host.waitFor(1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(host.calls.length, ended, `one run held at a time (${ended})`);
      host.releaseAll();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      (await Promise.all(burst)).map((r) => r.data),
      [1, 2, 3].map((n) => ({ held: n })),
    );
  });
});
