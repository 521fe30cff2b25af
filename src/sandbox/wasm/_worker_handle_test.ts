import assert from "node:assert/strict";
import { silentLogger } from "../../core/mod.ts";
import { executeRequest, guestCode, RecordingHost } from "../tier_common_case.ts";
import { DEFAULT_LIMITS } from "../tier.ts";
import type { GuestSpec } from "./_protocol.ts";
import { QUEUE_WAIT_MS, QuickJsWorker, RING_BYTES, type RunResult } from "./_worker_handle.ts";
import { WasmTier } from "./wasm_tier.ts";

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

const echo = guestCode(
  `const { n, text, big, call, fail } = requestData.input;
  if (fail) throw new Error("failed " + n);
  const found = call ? await mcp.call("core.state.getRuntimeValue", { key: "abc" }) : undefined;
  if (text) console.log("got", text.length);
  return { n, length: text?.length ?? 0, big: big ? "b".repeat(big) : undefined, found };`,
  "iife",
);

function spec(input: Record<string, unknown>, timeoutMs = 3_000): GuestSpec {
  return {
    source: echo.kind === "javascript" ? echo.source : "",
    key: echo.hash,
    entry: "handler",
    input: JSON.stringify([{ source: "internal", input }, {}]),
    timeoutMs,
    memoryMb: DEFAULT_LIMITS.memoryMb,
    maxOutputBytes: 4 * RING_BYTES,
  };
}

function okValue(result: RunResult): Record<string, unknown> {
  assert.equal(result.kind, "ok", JSON.stringify(result));
  return JSON.parse((result as { json: string }).json);
}

test("QuickJsWorker hands held runs and ok results over its rings, the rest by message, in order", async () => {
  const worker = await QuickJsWorker.spawn(15_000);
  try {
    const host = new RecordingHost();
    const run = (input: Record<string, unknown>) => worker.run(spec(input), host, { graceMs: 500 });
    // First sight of the bundle: its source goes by message; the result fits the ring.
    assert.deepEqual(okValue(await run({ n: 1 })), { n: 1, length: 0 });
    assert.deepEqual(okValue(await run({ n: 2 })), { n: 2, length: 0 });
    // Idle past its wait slice, the worker gave its event loop a turn and waits again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    // An input larger than the ring goes by message; the ring's `posted` record keeps its place.
    const text = "é".repeat(RING_BYTES);
    assert.deepEqual(okValue(await run({ n: 3, text })), { n: 3, length: text.length });
    assert.deepEqual(host.logs.at(-1), {
      level: "info",
      message: `got ${text.length}`,
      source: "console",
    });
    // A result larger than the ring comes back by message.
    const big = okValue(await run({ n: 4, big: RING_BYTES + 1 }));
    assert.equal((big.big as string).length, RING_BYTES + 1);
    // An error and a run that called a tool end by message too.
    const failed = await run({ n: 5, fail: true });
    assert.equal(failed.kind, "error");
    assert.match((failed as { message: string }).message, /failed 5/);
    assert.deepEqual(okValue(await run({ n: 6, call: true })), {
      n: 6,
      length: 0,
      found: { found: true, value: 3 },
    });
    assert.deepEqual(okValue(await run({ n: 7 })), { n: 7, length: 0 });
    assert.deepEqual(worker.handoffs, {
      ringRuns: 5, // 2, 4, 5, 6, 7
      postedRuns: 2, // 1 (source), 3 (input)
      ringResults: 4, // 1, 2, 3, 7
      postedResults: 3, // 4 (size), 5 (error), 6 (tool call)
      queued: 0,
      withdrawn: 0,
    });
    // Records of every length from 0 to ~7 KB: the ring's ends wrap many times.
    for (let n = 0; n < 300; n++) {
      const text = "x".repeat((n * 997) % 7_000);
      assert.deepEqual(okValue(await run({ n, text })), { n, length: text.length });
    }
    assert.equal(worker.handoffs.ringRuns, 305);
    assert.equal(worker.handoffs.ringResults, 304);
  } finally {
    worker.terminate();
  }
});

const paced = guestCode(
  `const { n, spinMs, say } = requestData.input;
  const until = Date.now() + (spinMs ?? 0);
  while (Date.now() < until) {}
  if (say) console.log(say);
  return { n };`,
  "iife",
);

function pacedSpec(input: Record<string, unknown>): GuestSpec {
  return {
    ...spec(input),
    source: paced.kind === "javascript" ? paced.source : "",
    key: paced.hash,
  };
}

test("QuickJsWorker runs a queued run after the one ahead, or withdraws it, which then never runs", async () => {
  const worker = await QuickJsWorker.spawn(15_000);
  try {
    const host = new RecordingHost();
    const opts = { graceMs: 500, queueKey: "app\npaced" };
    const queued = { ...opts, queue: true };
    assert.deepEqual(okValue(await worker.run(pacedSpec({ n: 0 }), host, opts)), { n: 0 });
    // Queued behind a short run: the worker takes it next, and both answer in order. (On a loaded
    // machine the first may outlast the wait, and the second is withdrawn instead: tried again.)
    let second: RunResult = { kind: "withdrawn" };
    for (let tries = 0; second.kind === "withdrawn" && tries < 20; tries++) {
      const both = await Promise.all([
        worker.run(pacedSpec({ n: 1 }), host, opts),
        worker.run(pacedSpec({ n: 2, say: "second ran" }), host, queued),
      ]);
      assert.deepEqual(okValue(both[0]), { n: 1 });
      second = both[1];
    }
    assert.deepEqual(okValue(second), { n: 2 });
    assert.deepEqual(host.logs.map((l) => l.message), ["second ran"]);
    // Behind a run that outlasts the wait: withdrawn long before that run ends, and never run.
    const slow = worker.run(pacedSpec({ n: 3, spinMs: 400 }), host, opts);
    const t0 = performance.now();
    const taken = await worker.run(pacedSpec({ n: 4, say: "withdrawn ran" }), host, queued);
    const waited = performance.now() - t0;
    assert.deepEqual(taken, { kind: "withdrawn" });
    assert.ok(
      waited < 300,
      `withdrawn after ${waited.toFixed(0)} ms (the wait is ${QUEUE_WAIT_MS})`,
    );
    assert.deepEqual(okValue(await slow), { n: 3 });
    // The worker skipped it: no log of it, and the next runs (by ring: the source lists agree) work.
    for (let n = 5; n < 8; n++) {
      assert.deepEqual(okValue(await worker.run(pacedSpec({ n }), host, opts)), { n });
    }
    assert.deepEqual(host.logs.map((l) => l.message), ["second ran"]);
    const { queued: queuedRuns, withdrawn } = worker.handoffs;
    assert.equal(queuedRuns - withdrawn, 1, "one queued run ran, the others were withdrawn");
    // A queued run whose caller goes away before it started ends as aborted, and never runs.
    const caller = new AbortController();
    const ahead = worker.run(pacedSpec({ n: 8, spinMs: 100 }), host, opts);
    const gone = worker.run(pacedSpec({ n: 9, say: "aborted ran" }), host, {
      ...queued,
      signal: caller.signal,
    });
    caller.abort();
    assert.deepEqual(
      { ...(await gone), message: undefined },
      { kind: "killed", reason: "timeout", message: undefined, aborted: true },
    );
    assert.deepEqual(okValue(await ahead), { n: 8 });
    assert.deepEqual(okValue(await worker.run(pacedSpec({ n: 10 }), host, opts)), { n: 10 });
    assert.deepEqual(host.logs.map((l) => l.message), ["second ran"]);
    // The worker ended while a run waits behind another: the waiting one was not started, so it is
    // withdrawn (to run elsewhere), and only the running one fails.
    const running = worker.run(pacedSpec({ n: 11, spinMs: 300 }), host, opts);
    const waiting = worker.run(pacedSpec({ n: 12 }), host, queued);
    await new Promise((resolve) => setTimeout(resolve, 1));
    worker.terminate();
    assert.equal((await running).kind, "killed");
    assert.deepEqual(await waiting, { kind: "withdrawn" });
  } finally {
    worker.terminate();
  }
});

test("QuickJsWorker terminated mid-run fails only that run; other workers carry on", async () => {
  const [stuck, ...others] = await Promise.all(
    [0, 1, 2].map(() => QuickJsWorker.spawn(15_000)),
  );
  try {
    const spin = guestCode(`for (;;) {}`, "iife");
    const host = new RecordingHost();
    const looping = stuck.run(
      {
        ...spec({}, 60_000),
        source: spin.kind === "javascript" ? spin.source : "",
        key: spin.hash,
      },
      host,
      { graceMs: 60_000 },
    );
    const steady = others.map(async (worker, w) => {
      for (let n = 0; n < 100; n++) {
        assert.deepEqual(
          okValue(await worker.run(spec({ n: w * 1000 + n }), host, { graceMs: 500 })),
          {
            n: w * 1000 + n,
            length: 0,
          },
        );
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    stuck.terminate();
    const ended = await looping;
    assert.deepEqual({ kind: ended.kind, reason: (ended as { reason: string }).reason }, {
      kind: "killed",
      reason: "shutdown",
    });
    assert.ok(stuck.dead);
    await Promise.all(steady);
    for (const worker of others) assert.ok(worker.handoffs.ringResults >= 99);
  } finally {
    for (const worker of [stuck, ...others]) worker.terminate();
  }
});

test("WasmTier gives each of many concurrent executions its own result", async () => {
  const tier = new WasmTier({ logger: silentLogger, workers: 3, maxQueue: 256 });
  try {
    const runs = Array.from({ length: 120 }, (_, n) => {
      const text = n % 10 === 0 ? "y".repeat(RING_BYTES + n) : "z".repeat(n);
      return tier.execute({
        request: executeRequest("wasm-app", { n, text }),
        code: echo,
        limits: { ...DEFAULT_LIMITS, timeoutMs: 10_000 },
        host: new RecordingHost(),
      }).then((response) => ({ n, text, response }));
    });
    for (const { n, text, response } of await Promise.all(runs)) {
      assert.deepEqual(response.data, { n, length: text.length }, `execution ${n}`);
    }
  } finally {
    await tier.close();
  }
});
