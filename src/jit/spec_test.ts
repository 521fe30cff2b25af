import assert from "node:assert/strict";
import { GenerationConfig } from "../models/mod.ts";
import type { Sample } from "./sample_store.ts";
import { outputStability } from "./sample_store.ts";
import { pickExamples, splitSamples } from "./spec.ts";

const sample = (i: number, input: unknown, output: unknown): Sample => ({
  sampleId: `${String(1_000 + i).padStart(14, "0")}-x`,
  at: new Date(1_000 + i).toISOString(),
  input,
  output,
  latencyMs: 500,
  costUsd: 0,
  promptTokens: 1,
  completionTokens: 1,
  provenance: "live",
});

Deno.test("splitSamples() keeps time order: examples oldest, then the gate, hidden newest", () => {
  const shuffled = [5, 3, 9, 0, 1, 8, 2, 7, 6, 4].map((i) => sample(i, { i }, i));
  const split = splitSamples(
    shuffled,
    GenerationConfig.parse({ examplesShare: 0.2, gateShare: 0.4 }),
  );
  assert.deepEqual(split.examples.map((s) => s.output), [0, 1]);
  assert.deepEqual(split.gate.map((s) => s.output), [2, 3, 4, 5]);
  assert.deepEqual(split.hidden.map((s) => s.output), [6, 7, 8, 9]);
});

Deno.test("splitSamples() leaves out calls without an answer; pickExamples() skips repeats", () => {
  const samples = [sample(0, "a", null), sample(1, "b", 1), sample(2, "b", 1), sample(3, "c", 2)];
  const split = splitSamples(
    samples,
    GenerationConfig.parse({ examplesShare: 0.8, gateShare: 0.1 }),
  );
  assert.equal(split.examples.length + split.gate.length + split.hidden.length, 3);
  assert.deepEqual(
    pickExamples(split.examples, 10),
    [{ input: "b", output: 1 }, { input: "c", output: 2 }],
    "each output class shows the coder at least one example",
  );
});

Deno.test("splitSamples() stratifies by output class: a 4% class is in every slice, in time order", () => {
  const samples = Array.from(
    { length: 300 },
    (_, i) => sample(i, { i }, i % 25 === 7 ? "hazmat" : i % 3 ? "ground" : "air"),
  );
  const split = splitSamples(samples, GenerationConfig.parse({}));
  const rare = (xs: Sample[]) => xs.filter((s) => s.output === "hazmat").map((s) => s.input);
  assert.deepEqual(rare(split.examples), [{ i: 7 }, { i: 32 }]);
  assert.equal(rare(split.gate).length, 5);
  assert.equal(rare(split.hidden).length, 5);
  for (const slice of [split.examples, split.gate, split.hidden]) {
    const ids = slice.map((s) => s.sampleId);
    assert.deepEqual(ids, [...ids].sort(), "each slice stays in time order");
  }
  const lastGateRare = Math.max(...rare(split.gate).map((x) => (x as { i: number }).i));
  const firstHiddenRare = Math.min(...rare(split.hidden).map((x) => (x as { i: number }).i));
  assert.ok(lastGateRare < firstHiddenRare, "within a class, hidden comes after the gate");
  assert.equal(split.examples.length + split.gate.length + split.hidden.length, 300);
});

Deno.test("outputStability() is null without repeated inputs, else the share of modal answers", () => {
  assert.equal(outputStability([sample(0, "a", 1), sample(1, "b", 2)]), null);
  const s = [
    sample(0, { q: 1 }, "x"),
    sample(1, { q: 1 }, " x "),
    sample(2, { q: 1 }, "y"),
    sample(3, { q: 2 }, "z"),
    sample(4, { q: 2 }, "z"),
  ];
  assert.equal(outputStability(s), 4 / 5);
  assert.equal(outputStability(s, Date.parse(s[3].at)), 1, "only pairs since the window start");
});
