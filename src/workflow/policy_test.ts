import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { testEngine } from "./_test_support.ts";
import { backoffDelay } from "./_attempts.ts";

const RETRY = `workflowId: retry
startAt: call
steps:
  call:
    type: jit
    target: { componentId: flaky }
    retryPolicy: { maxAttempts: 4, backoffMs: 100, backoffMultiplier: 2, jitter: false, retryOn: [BAD_GATEWAY] }
    transitions: { onSuccess: done, onFailureDefault: gaveUp }
  done: { type: control, target: { subtype: succeed }, inputMapping: { v: steps.call.output } }
  gaveUp: { type: control, target: { subtype: succeed }, inputMapping: { code: steps.call.output.error.code } }
`;

Deno.test("retries are counted in the trace and wait the backoff in fake time", async () => {
  let failures = 2;
  const times: number[] = [];
  const t = testEngine({ retry: RETRY }, {
    flaky: (_input) => {
      times.push(t.clock.now);
      if (failures-- > 0) throw new KilnError("BAD_GATEWAY", "upstream down");
      return "ok";
    },
  });
  try {
    const run = await t.runToEnd("retry");
    assert.equal(run.status, "succeeded");
    assert.equal(t.calls.get("flaky"), 3);
    assert.deepEqual(run.trace.map((e) => `${e.stepId}#${e.attempt}:${e.status}`), [
      "call#1:retrying",
      "call#2:retrying",
      "call#3:succeeded",
      "done#1:succeeded",
    ]);
    assert.deepEqual([times[1] - times[0], times[2] - times[1]], [100, 200]);
  } finally {
    await t.close();
  }
});

Deno.test("errors outside retryOn are not retried, and maxAttempts bounds the rest", async () => {
  let code: "BAD_GATEWAY" | "FORBIDDEN" = "FORBIDDEN";
  const t = testEngine({ retry: RETRY }, {
    flaky: () => {
      throw new KilnError(code, "no");
    },
  });
  try {
    const forbidden = await t.runToEnd("retry");
    assert.equal(t.calls.get("flaky"), 1);
    assert.deepEqual(forbidden.result?.data, { code: "FORBIDDEN" });
    code = "BAD_GATEWAY";
    const exhausted = await t.runToEnd("retry");
    assert.equal(t.calls.get("flaky"), 5);
    assert.deepEqual(exhausted.result?.data, { code: "BAD_GATEWAY" });
    assert.equal(exhausted.trace.filter((e) => e.stepId === "call").length, 4);
  } finally {
    await t.close();
  }
});

Deno.test("backoffDelay() grows, caps at maxBackoffMs and jitters into the upper half", () => {
  const policy = {
    maxAttempts: 5,
    backoffMs: 100,
    backoffMultiplier: 3,
    maxBackoffMs: 500,
    jitter: false,
  };
  assert.deepEqual([1, 2, 3].map((a) => backoffDelay(policy, a, () => 0)), [100, 300, 500]);
  const jittered = { ...policy, jitter: true };
  assert.equal(backoffDelay(jittered, 2, () => 0), 150);
  assert.equal(backoffDelay(jittered, 2, () => 1), 300);
});

const TIMEOUT = `workflowId: slow
startAt: call
steps:
  call:
    type: jit
    target: { componentId: hang }
    timeoutMs: 250
    retryPolicy: { maxAttempts: 2, backoffMs: 0, jitter: false }
    transitions:
      onSuccess: done
      onFailure: [{ condition: "step.output.error.code == 'EXECUTION_TIMEOUT'", nextStep: late }]
  done: { type: control, target: { subtype: succeed } }
  late: { type: control, target: { subtype: succeed }, inputMapping: { msg: steps.call.output.error.message } }
`;

Deno.test("a step timeout aborts the attempt with EXECUTION_TIMEOUT, retried and then routed", async () => {
  const aborted: boolean[] = [];
  const t = testEngine({ slow: TIMEOUT }, {
    hang: (_i, call) =>
      new Promise((_, reject) =>
        call.signal.addEventListener("abort", () => {
          aborted.push(true);
          reject(call.signal.reason);
        })
      ),
  });
  try {
    const run = await t.runToEnd("slow");
    assert.equal(run.status, "succeeded");
    assert.equal(aborted.length, 2, "each attempt's signal is aborted");
    assert.match((run.result?.data as { msg: string }).msg, /step "call" timed out after 250 ms/);
    const attempts = run.trace.filter((e) => e.stepId === "call");
    assert.deepEqual(attempts.map((e) => e.endedAt - e.startedAt), [250, 250]);
  } finally {
    await t.close();
  }
});
