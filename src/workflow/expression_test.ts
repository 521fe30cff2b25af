import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { compileExpression } from "./expression.ts";

const scope = {
  trigger: { body: { tier: "gold", seats: 12, tags: ["vip", "eu"] } },
  steps: { score: { output: { priority: "P1", escalate: true } } },
  step: { output: { error: { code: "EXECUTION_TIMEOUT" } } },
  context: { configuration: { escalationScore: 7 } },
  workflow: { workflowId: "triage" },
};

Deno.test("expressions read paths, index lists and compare", () => {
  const cases: [string, unknown][] = [
    ["trigger.body.tier == 'gold'", true],
    ["trigger.body.seats >= context.configuration.escalationScore", true],
    ["trigger.body.tags[1]", "eu"],
    ["steps.score.output.escalate && !(trigger.body.seats < 3)", true],
    ["step.output.error.code == 'EXECUTION_TIMEOUT' || false", true],
    ["42", 42],
    ["{'queue': 'general', 'n': [1, 'x']}", { queue: "general", n: [1, "x"] }],
  ];
  for (const [source, expected] of cases) {
    assert.deepEqual(compileExpression(source).evaluate(scope), expected, source);
  }
});

Deno.test("defined() tells present paths from missing ones without failing", () => {
  const e = (s: string) => compileExpression(s).evaluate(scope);
  assert.equal(e("defined(trigger.body.tier)"), true);
  assert.equal(e("defined(trigger.body.nope)"), false);
  assert.equal(e("defined(trigger.body.tags[7])"), false);
  assert.equal(e("defined(steps.other.output.x) || steps.score.output.priority == 'P1'"), true);
});

Deno.test("compileExpression() refuses bad syntax and unknown roots, quoting the expression", () => {
  for (const bad of ["trigger.body ==", "nope.x == 1", "1 == 'a'", ""]) {
    assert.throws(() => compileExpression(bad), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, "VALIDATION_ERROR");
      if (bad) assert.match(err.message, new RegExp(bad.replace(/[.=()]/g, "\\$&")));
      return true;
    });
  }
});

Deno.test("evaluating a missing path is an EXPRESSION_ERROR naming the expression", () => {
  assert.throws(
    () => compileExpression("trigger.body.missing == 1").evaluate(scope),
    (err: unknown) =>
      err instanceof KilnError && err.code === "EXPRESSION_ERROR" &&
      /"trigger\.body\.missing == 1".*missing/.test(err.message),
  );
});

Deno.test("compileExpression() lists the steps an expression reads", () => {
  const refs = compileExpression("steps.a.output.x == 1 && steps['b-c'].output[0] == 2").stepRefs;
  assert.deepEqual([...refs].sort(), ["a", "b-c"]);
});
