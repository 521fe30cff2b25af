import assert from "node:assert/strict";
import { SHADOW_TEST, ShadowTest } from "./shadow.ts";

Deno.test("ShadowTest never rolls back code that always agrees, and proves it after ~200 checks", () => {
  const t = new ShadowTest(0);
  let provenAt = 0;
  for (let i = 1; i <= 1_000; i++) {
    const outcome = t.push(true);
    assert.notEqual(outcome, "rollback");
    if (outcome === "proven" && !provenAt) provenAt = i;
  }
  assert.ok(provenAt > 150 && provenAt < 250, `proven after ${provenAt}`);
  assert.equal(t.snapshot().proven, true);
});

Deno.test("ShadowTest rolls back after three disagreements close together on a deterministic LLM", () => {
  const t = new ShadowTest(0);
  for (let i = 0; i < 5; i++) t.push(true);
  assert.equal(t.push(false), null);
  assert.equal(t.push(false), null);
  assert.equal(t.push(false), "rollback");
  const s = t.snapshot();
  assert.deepEqual([s.checks, s.agreements, s.testDisagreements], [8, 5, 3]);
  assert.ok(s.llr >= s.bounds.rollback);
});

Deno.test("ShadowTest holds H0 at the LLM's measured noise, floored", () => {
  assert.equal(new ShadowTest(0).p0, SHADOW_TEST.NOISE_FLOOR);
  const noisy = new ShadowTest(0.03);
  assert.equal(noisy.p0, 0.03);
  assert.equal(noisy.p1, 0.03 + SHADOW_TEST.DEFECT);
  // Three disagreements are expected noise at 3%: not a rollback.
  for (let i = 0; i < 100; i++) assert.equal(noisy.push(i % 33 !== 0), null);
});
