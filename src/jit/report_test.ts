import assert from "node:assert/strict";
import type { Evidence } from "./evidence.ts";
import type { GateRun } from "./gate.ts";
import { decide } from "./report.ts";

const run = (over: Partial<GateRun> = {}): GateRun => ({
  tests: { total: 4, passed: 4, failures: [] },
  gate: { total: 100, agreed: 100, agreement: 1, lowerBound: 0.963, mismatches: [] },
  hidden: { total: 100, agreed: 99, agreement: 0.99, lowerBound: 0.945, mismatches: [] },
  baseline: 0.4,
  constant: false,
  sandboxFailures: [],
  gateAgreed: [],
  hiddenAgreed: [],
  gateThrew: [],
  hiddenThrew: [],
  ...over,
});
const evidence = (verdict: Evidence["verdict"], reasons = [`evidence says ${verdict}`]) => ({
  verdict,
  reasons,
  llm: {
    repeatedInputs: 0,
    repeatedCalls: 0,
    consistentCalls: 0,
    stability: null,
    noise: 0,
    basis: "assumed deterministic" as const,
  },
  tooFew: [],
});

Deno.test("decide() follows the evidence once tests pass and the code beats a constant", () => {
  assert.deepEqual(decide(run(), evidence("activate")), {
    decision: "activate",
    reasons: ["evidence says activate"],
  });
  assert.equal(decide(run(), evidence("undecided")).decision, "undecided");
  assert.equal(decide(run(), evidence("reject")).decision, "reject");
});

Deno.test("decide() rejects failing tests, no tests, sandbox stops and constants, whatever the evidence", () => {
  const failing = decide(
    run({ tests: { total: 4, passed: 3, failures: [] } }),
    evidence("undecided"),
  );
  assert.equal(failing.decision, "reject", "a hard failure is never merely undecided");
  assert.match(failing.reasons.join(), /1 of 4 generated tests fail/);
  assert.match(
    decide(run({ tests: { total: 0, passed: 0, failures: [] } }), evidence("activate")).reasons[0],
    /no test/,
  );
  assert.match(
    decide(run({ sandboxFailures: ["EXECUTION_TIMEOUT: x"] }), evidence("activate")).reasons[0],
    /the sandbox stopped the code: EXECUTION_TIMEOUT/,
  );
  const constant = decide(run({ baseline: 0.97, constant: true }), evidence("activate"));
  assert.equal(constant.decision, "reject", "a constant answer never passes, however skewed");
  assert.match(constant.reasons.join(), /most common output \(97\.0%\)/);
  assert.equal(
    decide(run({ baseline: 1, constant: true }), evidence("activate")).decision,
    "activate",
    "when every recorded answer is the same, the same answer is right",
  );
});
