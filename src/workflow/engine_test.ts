import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { testEngine } from "./_test_support.ts";

const TRIAGE = `workflowId: triage
startAt: score
steps:
  score:
    type: jit
    target: { language: typescript, script: code/score.ts, function: score }
    inputMapping: { ticket: trigger.body }
    transitions: [{ nextStep: classify }]
  classify:
    type: llm
    target: { promptTemplate: classify }
    inputMapping: { text: trigger.body.text }
    transitions: { onSuccess: route, onFailureDefault: review }
  route:
    type: control
    target: { subtype: choice }
    transitions:
      - condition: "steps.score.output.score > 5 || steps.classify.output.category == 'security'"
        nextStep: escalate
      - nextStep: respond
  escalate:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { queue: "'escalations'", score: steps.score.output.score }
    end: true
  respond:
    type: control
    target: { subtype: formatResponse, resultType: httpResponse }
    inputMapping: { statusCode: "201", body: "{'queue': context.configuration.queue}" }
    end: true
  review:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { queue: "'review'", why: steps.classify.output.error.code }
    end: true
`;

const components = {
  score: (input: unknown) => ({ score: (input as { ticket: { seats: number } }).ticket.seats }),
  classify: (input: unknown) => {
    const text = (input as { text: string }).text;
    if (text === "boom") throw new KilnError("BAD_GATEWAY", "the model is down");
    return { category: text.includes("password") ? "security" : "billing" };
  },
};

Deno.test("jit, llm and choice steps route by list-form conditions to formatResponse", async () => {
  const t = testEngine({ triage: TRIAGE }, components);
  try {
    const hot = await t.runToEnd("triage", { seats: 9, text: "invoice" });
    assert.equal(hot.status, "succeeded", JSON.stringify(hot.error));
    assert.deepEqual(hot.result, {
      resultType: "generic",
      data: { queue: "escalations", score: 9 },
    });
    assert.deepEqual(hot.trace.map((e) => e.stepId), ["score", "classify", "route", "escalate"]);
    const sec = await t.runToEnd("triage", { seats: 1, text: "reset my password" });
    assert.equal(sec.result?.data && (sec.result.data as { queue: string }).queue, "escalations");
    const calm = await t.runToEnd("triage", { seats: 1, text: "invoice" });
    assert.deepEqual(calm.result, {
      resultType: "httpResponse",
      data: {
        statusCode: 201,
        headers: { "content-type": "application/json" },
        body: '{"queue":"general"}',
      },
    });
    assert.deepEqual(calm.outputs.score, { score: 1 });
  } finally {
    await t.close();
  }
});

Deno.test("onFailureDefault catches a failed step, which reads as step.output.error", async () => {
  const t = testEngine({ triage: TRIAGE }, components);
  try {
    const run = await t.runToEnd("triage", { seats: 1, text: "boom" });
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.result?.data, { queue: "review", why: "BAD_GATEWAY" });
    assert.equal(run.trace[1].status, "failed");
    assert.equal(run.trace[1].error?.code, "BAD_GATEWAY");
  } finally {
    await t.close();
  }
});

const ROUTED = `workflowId: routed
startAt: call
steps:
  call:
    type: jit
    target: { componentId: flaky }
    transitions:
      onSuccess: ok
      onFailure:
        - condition: "step.output.error.code == 'EXECUTION_TIMEOUT'"
          nextStep: slow
        - condition: "step.output.error.code == 'RATE_LIMITED'"
          nextStep: later
  ok: { type: control, target: { subtype: succeed }, inputMapping: { r: steps.call.output } }
  slow: { type: control, target: { subtype: succeed }, inputMapping: { r: "'slow'" } }
  later: { type: control, target: { subtype: fail, code: RATE_LIMITED, message: try later } }
`;

Deno.test("onFailure conditions on step.output.error.code pick the handler", async () => {
  let mode = "limit";
  const flaky = () => {
    if (mode === "limit") throw Object.assign(new Error("slow down"), { code: "X" });
    return "fine";
  };
  // A plain Error is INTERNAL; unhandled, the run fails naming the step.
  const t = testEngine({ routed: ROUTED }, { flaky });
  try {
    const failed = await t.runToEnd("routed");
    assert.equal(failed.status, "failed");
    assert.equal(failed.error?.stepId, "call");
    assert.match(failed.error!.message, /step "call" failed: slow down/);
    assert.equal(failed.result?.resultType, "error");
    mode = "ok";
    const ok = await t.runToEnd("routed");
    assert.deepEqual(ok.result, { resultType: "generic", data: { r: "fine" } });
  } finally {
    await t.close();
  }
});

Deno.test("a fail step ends the run with its own code; routing by code reaches it", async () => {
  const t = testEngine({ routed: ROUTED }, {
    flaky: () => {
      throw new KilnError("OVERLOADED", "busy");
    },
  });
  try {
    const wf = ROUTED.replace("'RATE_LIMITED'", "'OVERLOADED'");
    const t2 = testEngine({ routed: wf }, {
      flaky: () => {
        throw new KilnError("OVERLOADED", "busy");
      },
    });
    const run = await t2.runToEnd("routed");
    assert.equal(run.status, "failed");
    assert.equal(run.error?.code, "RATE_LIMITED");
    assert.equal(run.error?.stepId, "later");
    await t2.close();
  } finally {
    await t.close();
  }
});
