import assert from "node:assert/strict";
import { binomialTailAtLeast } from "./agreement.ts";
import { type JudgedCase, slicesNeeded, weighEvidence } from "./evidence.ts";

/** 300 recorded calls: 60% "ground", 36% "air", 4% "hazmat"; every fifth input recorded twice. */
function traffic(noisyRepeats = 0) {
  const recorded: { input: unknown; output: unknown }[] = [];
  for (let i = 0; i < 300; i++) {
    const output = i % 25 === 7 ? "hazmat" : i % 25 < 16 ? "ground" : "air";
    recorded.push({ input: { id: i }, output });
  }
  for (let i = 0; i < 60; i++) {
    const original = recorded[i * 5];
    const flip = i < noisyRepeats;
    recorded.push({ input: original.input, output: flip ? "other" : original.output });
  }
  return recorded;
}
const opts = { threshold: 0.95, gateShare: 0.4 };
/** The first `n` distinct calls as the gate slice, wrong where `wrong(i, output)` says. */
function gate(n: number, wrong: (i: number, output: unknown) => boolean): JudgedCase[] {
  return traffic().slice(0, n).map((c, i) => ({ ...c, agreed: !wrong(i, c.output) }));
}

Deno.test("weighEvidence() activates a handler right on all 120 when the bound clears 95%", () => {
  const e = weighEvidence(gate(120, () => false), traffic(), opts);
  assert.equal(e.verdict, "activate", e.reasons.join());
  assert.equal(e.llm.basis, "measured");
  assert.equal(e.llm.noise, 0);
  assert.deepEqual(e.classes?.map((c) => [c.key, c.total, c.judged]), [
    ['"ground"', 75, true],
    ['"air"', 40, true],
    ['"hazmat"', 5, true],
  ]);
});

Deno.test("weighEvidence() rejects a miss of the rare class (116/120) and an off-by-one (117/120)", () => {
  const rare = weighEvidence(gate(120, (_, o) => o === "hazmat"), traffic(), opts);
  assert.equal(rare.verdict, "reject");
  assert.match(
    rare.reasons[0],
    /5 of 120 held-out answers \(gate and hidden slices\) disagree; the LLM disagrees with itself on 0\.0%/,
  );
  assert.match(rare.reasons.join(), /output class "hazmat" \(3\.3% of traffic\): 0\/5 agree/);
  const offByOne = weighEvidence(gate(120, (i) => i % 40 === 3), traffic(), opts);
  assert.equal(offByOne.verdict, "reject", "3 wrong of 120, on a deterministic LLM");
});

Deno.test("weighEvidence() holds code to the LLM's measured noise, and asks for more when unsure", () => {
  // The LLM gave another answer on 6 of 120 repeated calls: 5% noise.
  const noisy = traffic(6);
  const three = weighEvidence(gate(120, (i) => i % 40 === 3), noisy, opts);
  assert.equal(three.llm.basis, "measured");
  assert.equal(three.verdict, "undecided", three.reasons.join());
  assert.ok(three.needMoreSamples! > 0, "says how many more");
  assert.match(three.reasons.at(-1)!, new RegExp(`collect about ${three.needMoreSamples} more`));
  // All 5 hazardous answers wrong is too many for 5% noise, however good the rest is.
  const rare = weighEvidence(gate(120, (_, o) => o === "hazmat"), noisy, opts);
  assert.equal(rare.verdict, "reject");
  assert.match(rare.reasons.join(), /"hazmat"/);
});

Deno.test("weighEvidence() excuses a wrong answer as measured noise, but never a throw", () => {
  // 5% measured noise: one other answer in 120 is within it; one throw is not, as the LLM
  // answered every recorded call.
  const noisy = traffic(6);
  const cases = gate(120, (i) => i === 9);
  const answered = weighEvidence(cases, noisy, opts);
  assert.notEqual(answered.verdict, "reject", answered.reasons.join());
  const threw = weighEvidence(cases.map((c, i) => ({ ...c, threw: i === 9 })), noisy, opts);
  assert.equal(threw.verdict, "reject");
  assert.match(threw.reasons[0], /the code threw on 1 of 120 held-out inputs the LLM answered/);
  const hidden = weighEvidence(gate(120, () => false), noisy, opts, [
    { input: { id: 999 }, output: "air", agreed: false, threw: true },
  ]);
  assert.equal(hidden.verdict, "reject", "a throw on the hidden slice counts too");
});

Deno.test("weighEvidence() is undecided while a class of ≥ 1% of traffic is too thin to judge", () => {
  const e = weighEvidence(gate(100, () => false), traffic(), opts);
  assert.equal(e.verdict, "undecided", e.reasons.join());
  assert.match(e.reasons[0], /too few of output class "hazmat" to judge it \(4 < 5\)/);
  assert.match(e.tooFew[0], /"hazmat": 4 in the held-out slices, 3\.3% of traffic/);
});

Deno.test("weighEvidence() rejects a defect the hidden slice shows, though the gate slice missed it", () => {
  const all = traffic().slice(0, 240);
  const gateCases = all.slice(0, 120).map((c) => ({ ...c, agreed: true }));
  const hidden = all.slice(120).map((c, i) => ({ ...c, agreed: i !== 50 }));
  assert.equal(weighEvidence(gateCases, traffic(), opts).verdict, "activate");
  const e = weighEvidence(gateCases, traffic(), opts, hidden);
  assert.equal(e.verdict, "reject");
  assert.match(e.reasons[0], /1 of 240 held-out answers/);
});

Deno.test("binomialTailAtLeast() and slicesNeeded() match textbook values", () => {
  assert.ok(Math.abs(binomialTailAtLeast(1, 10, 0.1) - (1 - 0.9 ** 10)) < 1e-12);
  assert.ok(Math.abs(binomialTailAtLeast(3, 3, 0.5) - 0.125) < 1e-12);
  assert.equal(binomialTailAtLeast(1, 120, 0), 0);
  assert.equal(binomialTailAtLeast(0, 120, 0), 1);
  assert.equal(slicesNeeded(1, 0.95), 73, "73 of 73 is the fewest with a Wilson bound ≥ 95%");
  assert.equal(slicesNeeded(0.95, 0.95), null);
});
