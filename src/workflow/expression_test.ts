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
    () => compileExpression("steps.score.output.missing == 1").evaluate(scope),
    (err: unknown) =>
      err instanceof KilnError && err.code === "EXPRESSION_ERROR" &&
      /"steps\.score\.output\.missing == 1".*missing/.test(err.message),
  );
});

Deno.test("an expression reading only the request fails as the caller's input (VALIDATION_ERROR)", () => {
  for (
    const source of ["trigger.body.missing == 1", "trigger.body.tags[7]", "trigger.body.seats / 0"]
  ) {
    assert.throws(
      () => compileExpression(source).evaluate(scope),
      (err: unknown) =>
        err instanceof KilnError && err.code === "VALIDATION_ERROR" && err.status === 400 &&
        (err.details as { blame?: string }).blame === "input" &&
        err.message.startsWith("the request does not fit expression"),
      source,
    );
  }
  assert.throws(
    () =>
      compileExpression("trigger.body.seats / (steps.score.output.escalate ? 0 : 1)").evaluate(
        scope,
      ),
    (err: unknown) => err instanceof KilnError && err.code === "EXPRESSION_ERROR",
    "an expression that also reads the run's own data is the workflow's fault",
  );
});

Deno.test("int() of a double outside 64 bits is an overflow, not a huge integer", () => {
  assert.equal(compileExpression("int(1e18)").evaluate(scope), 1e18);
  for (const source of ["int(1e300)", "int(-1e19)", "int(1e300) > 5"]) {
    assert.throws(
      () => compileExpression(source).evaluate(scope),
      (err: unknown) =>
        err instanceof KilnError && err.code === "EXPRESSION_ERROR" &&
        /integer overflow/.test(err.message),
      source,
    );
  }
});

Deno.test("compileExpression() lists the steps an expression reads", () => {
  const refs = compileExpression("steps.a.output.x == 1 && steps['b-c'].output[0] == 2").stepRefs;
  assert.deepEqual([...refs].sort(), ["a", "b-c"]);
});

const LIST = Array.from({ length: 400 }, (_, i) => i);

function stopped(source: string, body: unknown, limit: string): number {
  const started = performance.now();
  assert.throws(
    () => compileExpression(source).evaluate({ trigger: { body } }),
    (err: unknown) => {
      assert.ok(err instanceof KilnError, String(err));
      assert.equal(err.code, "EXPRESSION_ERROR", err.message);
      assert.equal((err.details as { limit?: string }).limit, limit, err.message);
      assert.match(err.message, new RegExp(`budget ${limit.replace(".", "\\.")}`));
      return true;
    },
  );
  return performance.now() - started;
}

Deno.test("evaluation stops nested comprehensions at expression.steps", () => {
  stopped(
    "trigger.body.l.exists(a, trigger.body.l.exists(b, trigger.body.l.map(c, c).size() > 1000))",
    { l: LIST },
    "expression.steps",
  );
  stopped(
    "trigger.body.l.map(a, trigger.body.l.map(b, trigger.body.l))",
    { l: LIST },
    "expression.steps",
  );
});

Deno.test("join() and split() are refused before they build past the budget", () => {
  const s = "x".repeat(46_000);
  stopped("size(trigger.body.s.split('').join(trigger.body.s))", { s }, "expression.bytes");
  stopped("trigger.body.s.split('').size()", { s: "y".repeat(200_000) }, "expression.elements");
  stopped(
    "size(trigger.body.s.split('', 200000))",
    { s: "y".repeat(200_000) },
    "expression.elements",
  );
  assert.equal(compileExpression("'a,b,c'.split(',').join('-')").evaluate({}), "a-b-c");
});

Deno.test("string and list concatenation are charged before they run", () => {
  const s = "z".repeat(20_000);
  stopped(
    "trigger.body.l.map(a, trigger.body.s + trigger.body.s).size()",
    { l: LIST, s },
    "expression.bytes",
  );
  stopped(
    "trigger.body.l.map(a, trigger.body.l + trigger.body.l).size()",
    { l: LIST },
    "expression.elements",
  );
  assert.equal(compileExpression("'a' + 'b'").evaluate({}), "ab");
  assert.deepEqual(compileExpression("[1] + [2]").evaluate({}), [1, 2]);
});

Deno.test("functions are charged for what they read", () => {
  stopped(
    "trigger.body.l.all(x, !trigger.body.s.contains('zzz'))",
    { l: LIST, s: "y".repeat(1_000_000) },
    "expression.bytes",
  );
});

Deno.test("a budget crossed inside ||, exists() or defined() still ends the evaluation", () => {
  const deep =
    "trigger.body.l.exists(a, trigger.body.l.exists(b, trigger.body.l.exists(c, false)))";
  stopped(`${deep} || true`, { l: LIST }, "expression.steps");
  stopped(
    `defined(trigger.body.l.map(a, trigger.body.l.map(b, trigger.body.l)))`,
    { l: LIST },
    "expression.steps",
  );
});

Deno.test("matches() runs on a linear-time engine with RE2 syntax", () => {
  const e = compileExpression("trigger.body.s.matches('^(a+)+$')");
  const started = performance.now();
  assert.equal(e.evaluate({ trigger: { body: { s: "a".repeat(30) + "!" } } }), false);
  assert.equal(e.evaluate({ trigger: { body: { s: "a".repeat(100_000) + "!" } } }), false);
  assert.ok(performance.now() - started < 1_000, "no catastrophic backtracking");
  assert.equal(compileExpression("'Ab'.matches('(?i)^aB$')").evaluate({}), true);
  assert.throws(
    () => compileExpression("'a'.matches('(?=a)')").evaluate({}),
    /EXPRESSION_ERROR|not supported/,
  );
  stopped("'a'.matches(trigger.body.p)", { p: "a".repeat(2_000) }, "expression.pattern");
});

Deno.test("duration() refuses strings its parser would backtrack on", () => {
  stopped("duration(trigger.body.s)", { s: "1".repeat(65) }, "expression.argument");
  assert.equal(compileExpression("duration('90s') == duration('1m30s')").evaluate({}), true);
});

Deno.test("the worst expressions found stop within tens of milliseconds", () => {
  const worst: [string, unknown, string][] = [
    ["trigger.body.l.exists(a, trigger.body.l.exists(b, trigger.body.l.exists(c, false)))", {
      l: LIST,
    }, "expression.steps"],
    [
      "trigger.body.l.map(a, trigger.body.l.map(b, trigger.body.l.map(c, [c, c, c])))",
      { l: LIST },
      "expression.steps",
    ],
    [
      "size(trigger.body.s.split('').join(trigger.body.s))",
      { s: "x".repeat(46_000) },
      "expression.bytes",
    ],
    ["trigger.body.l.all(x, trigger.body.s.matches('(.*a){20}'))", {
      l: LIST,
      s: "a".repeat(60_000),
    }, "regex.work"],
  ];
  for (const [source, body, limit] of worst) {
    stopped(source, body, limit); // warm
    const ms = Math.min(...[1, 2, 3].map(() => stopped(source, body, limit)));
    assert.ok(ms < 150, `${source} took ${ms.toFixed(1)} ms`);
  }
});
