import assert from "node:assert/strict";
import { sameOutput, wilsonLowerBound } from "./agreement.ts";

Deno.test("sameOutput() ignores key order and surrounding whitespace, nothing else", () => {
  assert.ok(sameOutput({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
  assert.ok(sameOutput("  +1-415-555-0100\n", "+1-415-555-0100"));
  assert.ok(!sameOutput({ a: 1 }, { a: "1" }), "types matter");
  assert.ok(!sameOutput([1, 2], [2, 1]), "array order matters");
  assert.ok(!sameOutput("Billing", "billing"), "case matters");
  assert.ok(!sameOutput({ a: 1 }, { a: 1, b: null }));
});

Deno.test("wilsonLowerBound() matches the textbook figures and is strict on small slices", () => {
  assert.equal(wilsonLowerBound(0, 0), 0);
  assert.ok(Math.abs(wilsonLowerBound(20, 20) - 0.8389) < 1e-3, String(wilsonLowerBound(20, 20)));
  assert.ok(Math.abs(wilsonLowerBound(950, 1000) - 0.9346) < 1e-3);
  assert.ok(Math.abs(wilsonLowerBound(81, 263) - 0.2553) < 1e-3);
  assert.ok(wilsonLowerBound(20, 20) < wilsonLowerBound(200, 200), "more evidence, higher bound");
});
