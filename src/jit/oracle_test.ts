import assert from "node:assert/strict";
import { OptimizationRule } from "../models/mod.ts";
import { effectiveRules } from "./oracle.ts";
import { decide } from "./report.ts";
import type { GateRun } from "./gate.ts";

const rule = (ruleId: string, extra: Record<string, unknown> = {}) =>
  OptimizationRule.parse({
    ruleId,
    action: "TRIGGER_JIT",
    conditions: [{ metric: "call_count", operator: ">=", value: 1 }],
    ...extra,
  });

Deno.test("effectiveRules() lets component rules override app rules override global ones by id", () => {
  const global = [rule("hot"), rule("cheap"), rule("other-component", { componentId: "b" })];
  const app = [rule("hot", { action: "RECOMMEND_JIT" }), rule("stable", { enabled: false })];
  const component = [rule("cheap", { componentId: "a", description: "component's own" })];
  const rules = effectiveRules(global, [...app, ...component], "a");
  assert.deepEqual(rules.map((r) => [r.rule.ruleId, r.level]), [
    ["cheap", "component"],
    ["hot", "app"],
  ]);
  assert.equal(rules[1].rule.action, "RECOMMEND_JIT");
});

Deno.test("effectiveRules() applies a global rule limited to one app to that app only", () => {
  const global = [{ ...rule("shop-only"), appId: "shop" }, rule("everywhere")];
  const ids = (appId: string) => effectiveRules(global, [], "a", appId).map((r) => r.rule.ruleId);
  assert.deepEqual(ids("shop").sort(), ["everywhere", "shop-only"]);
  assert.deepEqual(ids("desk"), ["everywhere"]);
});

const run = (over: Partial<GateRun> = {}): GateRun => ({
  tests: { total: 4, passed: 4, failures: [] },
  gate: { total: 100, agreed: 97, agreement: 0.97, lowerBound: 0.915, mismatches: [] },
  hidden: { total: 100, agreed: 99, agreement: 0.99, lowerBound: 0.945, mismatches: [] },
  baseline: 0.4,
  constant: false,
  sandboxFailures: [],
  ...over,
});

Deno.test("decide() activates only when tests pass, the gate reaches the threshold and beats a constant", () => {
  assert.equal(decide(run(), 0.95).decision, "activate");
  const low = decide(run(), 0.98);
  assert.equal(low.decision, "reject");
  assert.match(low.reasons[0], /gate agreement 97\.0% \(97\/100\) is below the threshold 98\.0%/);
  const failing = decide(run({ tests: { total: 4, passed: 3, failures: [] } }), 0.95);
  assert.match(failing.reasons.join(), /1 of 4 generated tests fail/);
  assert.match(
    decide(run({ tests: { total: 0, passed: 0, failures: [] } }), 0.95).reasons[0],
    /no test/,
  );
  const constant = decide(run({ baseline: 0.97, constant: true }), 0.95);
  assert.equal(constant.decision, "reject", "a constant answer never passes, however skewed");
  assert.match(constant.reasons.join(), /most common output \(97\.0%\)/);
  assert.equal(
    decide(
      run({ baseline: 1, constant: true, gate: { ...run().gate, agreement: 1, agreed: 100 } }),
      0.95,
    ).decision,
    "activate",
    "when every recorded answer is the same, the same answer is right",
  );
});
