import assert from "node:assert/strict";
import type { JsonValue } from "../core/mod.ts";
import { settle, testEngine } from "./_test_support.ts";
import type { RunEvent } from "./types.ts";

const COUNTED = `workflowId: counted
startAt: first
steps:
  first:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'first'" }
    safeToRepeat: false
    transitions: [{ nextStep: pause }]
  pause: { type: control, target: { subtype: wait, durationMs: 10000 }, transitions: [{ nextStep: second }] }
  second:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'second'" }
    safeToRepeat: false
    transitions: [{ nextStep: done }]
  done:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { first: steps.first.output.value, second: steps.second.output.value }
    end: true
`;

function counters() {
  const values = new Map<string, number>();
  return {
    values,
    tool: (args: Record<string, JsonValue>) => {
      const key = String(args.key);
      values.set(key, (values.get(key) ?? 0) + 1);
      return { value: values.get(key)! };
    },
  };
}

async function until(t: ReturnType<typeof testEngine>, runId: string, status = "succeeded") {
  for (let i = 0; i < 2000; i++) {
    const run = await t.engine.get("app", runId);
    if (run.status !== "running") {
      assert.equal(run.status, status, JSON.stringify(run.error));
      return run;
    }
    await t.clock.tickAsync(100);
  }
  throw new Error("the run did not end");
}

Deno.test("a run stopped mid-wait resumes from its checkpoint, each step once, deadline kept", async () => {
  const c = counters();
  const first = testEngine({ counted: COUNTED }, {}, {
    "core.state.incrementRuntimeValue": c.tool,
  });
  const started = await first.engine.start("app", "counted", {});
  await first.clock.tickAsync(3000);
  const mid = await first.engine.get("app", started.runId);
  assert.equal(mid.inFlight?.stepId, "pause");
  assert.deepEqual(mid.outputs.first, { value: 1 });
  await first.engine.close();
  assert.equal((await first.engine.get("app", started.runId)).status, "running");

  const second = first.restart();
  try {
    assert.equal(await second.engine.resume(), 1);
    const run = await until(second, started.runId);
    assert.deepEqual(run.result?.data, { first: 1, second: 1 });
    assert.deepEqual([...c.values], [["first", 1], ["second", 1]]);
    const pause = run.trace.find((e) => e.stepId === "pause")!;
    assert.equal(pause.endedAt - pause.startedAt, 10000);
    assert.equal(await second.engine.resume(), 0, "nothing is left in flight");
  } finally {
    await second.close();
    await first.store.close();
  }
});

const HANGING = `workflowId: hanging
startAt: charge
steps:
  charge:
    type: mcp
    target: { tool: billing.charge, server: billing }
    safeToRepeat: false
    transitions:
      onSuccess: done
      onFailure: [{ condition: "step.output.error.code == 'STEP_INTERRUPTED'", nextStep: check }]
  check: { type: control, target: { subtype: succeed }, inputMapping: { review: "true" } }
  done: { type: control, target: { subtype: succeed } }
`;

Deno.test("a non-repeatable step interrupted by a restart fails with STEP_INTERRUPTED, not twice", async () => {
  const first = testEngine({ hanging: HANGING }, {}, {
    "billing/billing.charge": () => new Promise(() => {}),
  });
  const started = await first.engine.start("app", "hanging", {});
  await settle();
  await first.engine.close();
  const second = first.restart();
  try {
    await second.engine.resume();
    const run = await until(second, started.runId);
    assert.equal(second.calls.get("billing/billing.charge"), 1);
    assert.deepEqual(run.result?.data, { review: true });
    assert.equal(run.trace[0].status, "interrupted");
  } finally {
    await second.close();
    await first.store.close();
  }
});

Deno.test("an idempotency key answers the run it started; other input under it is a conflict", async () => {
  const c = counters();
  const t = testEngine({ counted: COUNTED }, {}, { "core.state.incrementRuntimeValue": c.tool });
  try {
    const a = await t.engine.start("app", "counted", { x: 1 }, { idempotencyKey: "k-1" });
    const [b, d] = await Promise.all([
      t.engine.start("app", "counted", { x: 1 }, { idempotencyKey: "k-1" }),
      t.engine.start("app", "counted", { x: 1 }, { idempotencyKey: "k-1" }),
    ]);
    assert.equal(b.runId, a.runId);
    assert.equal(d.runId, a.runId);
    await assert.rejects(
      t.engine.start("app", "counted", { x: 2 }, { idempotencyKey: "k-1" }),
      /idempotency key "k-1" already started run/,
    );
    await until(t, a.runId);
    assert.equal(c.values.get("first"), 1);
    assert.equal((await t.engine.list("app")).length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("cancel stops a running run; subscribers see step and run events", async () => {
  const c = counters();
  const t = testEngine({ counted: COUNTED }, {}, { "core.state.incrementRuntimeValue": c.tool });
  try {
    const run = await t.engine.start("app", "counted", {});
    const events: RunEvent[] = [];
    const stop = t.engine.subscribe(run.runId, (e) => events.push(e));
    await t.clock.tickAsync(1000);
    const cancelled = await t.engine.cancel("app", run.runId);
    stop();
    assert.equal(cancelled.status, "cancelled");
    assert.equal(cancelled.error?.code, "CANCELLED");
    assert.equal(c.values.get("second"), undefined);
    assert.deepEqual(events.map((e) => `${e.type}:${e.stepId ?? ""}:${e.status}`), [
      "step:first:succeeded",
      "run::cancelled",
    ]);
    const listed = await t.engine.list("app", { status: "cancelled" });
    assert.deepEqual(listed.map((r) => r.runId), [run.runId]);
    assert.equal((await t.engine.cancel("app", run.runId)).status, "cancelled");
  } finally {
    await t.close();
  }
});

Deno.test("finished runs expire after the retention period", async () => {
  const t = testEngine({ counted: COUNTED }, {}, {
    "core.state.incrementRuntimeValue": counters().tool,
  });
  try {
    const run = await t.runToEnd("counted");
    assert.equal((await t.engine.get("app", run.runId)).status, "succeeded");
    // The store's expiry follows Date.now; the default retention is 7 days.
    const realNow = Date.now;
    Date.now = () => realNow() + 8 * 24 * 3600 * 1000;
    try {
      await assert.rejects(t.engine.get("app", run.runId), /has no run/);
    } finally {
      Date.now = realNow;
    }
  } finally {
    await t.close();
  }
});
