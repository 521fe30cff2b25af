import assert from "node:assert/strict";
import type { JsonValue } from "../core/mod.ts";
import { testEngine } from "./_test_support.ts";

/** A component that waits `ms` of fake time and reports how many ran at once. */
function gauge(t: () => ReturnType<typeof testEngine>) {
  let now = 0;
  const seen = { max: 0 };
  const fn = (input: JsonValue) =>
    new Promise<JsonValue>((resolve) => {
      now++;
      seen.max = Math.max(seen.max, now);
      t().timers.setTimeout(() => {
        now--;
        resolve({ doubled: (input as { n: number }).n * 2 });
      }, 100);
    });
  return { fn, seen };
}

const MAP = `workflowId: fan
startAt: each
steps:
  each:
    type: control
    target:
      subtype: map
      items: trigger.body.numbers
      maxConcurrency: 2
      iterator:
        startAt: work
        steps:
          work:
            type: jit
            target: { componentId: slow }
            inputMapping: { n: item, at: index }
            end: true
    transitions: [{ nextStep: out }]
  out:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { all: steps.each.output, first: "steps.each.output[0].doubled" }
    end: true
`;

Deno.test("map runs the iterator per item, never more than maxConcurrency at once", async () => {
  const box = {} as { t: ReturnType<typeof testEngine> };
  const { fn, seen } = gauge(() => box.t);
  const t = box.t = testEngine({ fan: MAP }, { slow: fn });
  try {
    const run = await t.runToEnd("fan", { numbers: [1, 2, 3, 4, 5] });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.equal(seen.max, 2);
    assert.deepEqual((run.result?.data as { first: number }).first, 2);
    assert.deepEqual(
      (run.result?.data as { all: JsonValue[] }).all,
      [2, 4, 6, 8, 10].map((d) => ({ doubled: d })),
    );
    assert.ok(run.trace.some((e) => e.stepId === "each[4].work"));
    // 5 items, 2 at a time, 100 ms each: three rounds.
    const each = run.trace.find((e) => e.stepId === "each")!;
    assert.equal(each.endedAt - each.startedAt, 300);
  } finally {
    await t.close();
  }
});

const PARALLEL = `workflowId: par
startAt: both
steps:
  both:
    type: control
    target:
      subtype: parallel
      maxConcurrency: 1
      branches:
        left:
          startAt: a
          steps:
            a: { type: jit, target: { componentId: slow }, inputMapping: { n: "1" }, end: true }
        right:
          startAt: b
          steps:
            b: { type: jit, target: { componentId: slow }, inputMapping: { n: trigger.body.n }, transitions: [{ nextStep: c }] }
            c: { type: control, target: { subtype: succeed }, inputMapping: { fromB: steps.b.output.doubled } }
    transitions: { onSuccess: done, onFailureDefault: broken }
  done: { type: control, target: { subtype: succeed }, inputMapping: { r: steps.both.output } }
  broken: { type: control, target: { subtype: fail, code: BRANCH_FAILED } }
`;

Deno.test("parallel runs every branch (limited by maxConcurrency) and answers per branch", async () => {
  const box = {} as { t: ReturnType<typeof testEngine> };
  const { fn, seen } = gauge(() => box.t);
  const t = box.t = testEngine({ par: PARALLEL }, { slow: fn });
  try {
    const run = await t.runToEnd("par", { n: 21 });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.equal(seen.max, 1);
    assert.deepEqual(run.result?.data, { r: { left: { doubled: 2 }, right: { fromB: 42 } } });
  } finally {
    await t.close();
  }
});

Deno.test("a failing branch fails the parallel step, which routes like any step", async () => {
  const t = testEngine({ par: PARALLEL }, {
    slow: (input) => {
      if ((input as { n: number }).n === 1) throw new Error("left broke");
      return { doubled: 0 };
    },
  });
  try {
    const run = await t.runToEnd("par", { n: 2 });
    assert.equal(run.status, "failed");
    assert.equal(run.error?.code, "BRANCH_FAILED");
    assert.equal(run.trace.find((e) => e.stepId === "both")?.error?.code, "INTERNAL");
  } finally {
    await t.close();
  }
});

const WAIT_SUB = `workflowId: outer
startAt: pause
steps:
  pause: { type: control, target: { subtype: wait, durationMs: 5000 }, transitions: [{ nextStep: child }] }
  child:
    type: control
    target: { subtype: subworkflow, workflowId: inner }
    inputMapping: { name: trigger.body.name }
    transitions: [{ nextStep: done }]
  done: { type: control, target: { subtype: formatResponse }, inputMapping: { hello: steps.child.output.greeting } }
    end: true
`.replace("greeting } }\n    end: true", "greeting }, end: true }");

const INNER = `workflowId: inner
startAt: greet
steps:
  greet:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { greeting: "'hi ' + trigger.body.name" }
    end: true
`;

Deno.test("wait waits in fake time; subworkflow runs another workflow on the step input", async () => {
  const t = testEngine({ outer: WAIT_SUB, inner: INNER });
  try {
    const run = await t.runToEnd("outer", { name: "ada" });
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.result?.data, { hello: "hi ada" });
    const pause = run.trace.find((e) => e.stepId === "pause")!;
    assert.equal(pause.endedAt - pause.startedAt, 5000);
    assert.ok(run.trace.some((e) => e.stepId === "child.greet"));
  } finally {
    await t.close();
  }
});

const LOOP = `workflowId: loop
startAt: again
steps:
  again:
    type: control
    target: { subtype: choice }
    transitions: [{ condition: "true", nextStep: again }, { nextStep: out }]
  out: { type: control, target: { subtype: succeed } }
`;

Deno.test("a runaway loop is stopped after limits.maxSteps steps, its trace capped", async () => {
  const t = testEngine({ loop: LOOP }, {}, {}, { limits: { maxSteps: 300, maxTrace: 100 } });
  try {
    const run = await t.runToEnd("loop");
    assert.equal(run.status, "failed");
    assert.equal(run.error?.code, "WORKFLOW_FAILED");
    assert.match(run.error!.message, /more than 300 steps; stopped at "again"/);
    assert.equal(run.trace.length, 100);
    assert.equal(run.traceDropped, 200);
  } finally {
    await t.close();
  }
});
