import assert from "node:assert/strict";
import { OptimizationRule } from "../models/mod.ts";
import { effectiveRules } from "./oracle.ts";

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
