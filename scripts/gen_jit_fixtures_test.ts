import assert from "node:assert/strict";
import variant from "@jitl/quickjs-singlefile-mjs-release-sync";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import {
  agrees,
  buildFixture,
  canonical,
  type Fixture,
  FIXTURE_DIR,
  loadHandler,
  renderFixtures,
  TASKS,
} from "./gen_jit_fixtures.ts";

const ROOT = new URL("../", import.meta.url);
const fixtures: Fixture[] = TASKS.map(buildFixture);

function agreement(handler: string, calls: Fixture["calls"]): number {
  const handle = loadHandler(handler);
  return calls.filter((c) => agrees(c.output, handle(c.input))).length / calls.length;
}

function parseCases(tests: string): { name: string; input: unknown; expected: unknown }[] {
  const prefix = "export const cases = ";
  assert.ok(tests.startsWith(prefix));
  return JSON.parse(tests.slice(prefix.length).replace(/;\s*$/, ""));
}

Deno.test("regenerating the fixtures gives the committed files byte for byte", async () => {
  const first = renderFixtures();
  assert.deepEqual([...renderFixtures()], [...first], "two renders agree");
  const committed = [...Deno.readDirSync(new URL(FIXTURE_DIR, ROOT))]
    .map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
  assert.deepEqual(committed, [...first.keys()].map((p) => p.split("/").pop()).sort());
  for (const [path, text] of first) {
    assert.equal(await Deno.readTextFile(new URL(path, ROOT)), text, `${path} is up to date`);
    assert.ok(text.length < 1.5 * 1024 * 1024, `${path} stays under 1.5 MB`);
  }
});

Deno.test("the fixtures cover every kind of task with enough time-ordered calls", () => {
  assert.ok(fixtures.length >= 6);
  assert.deepEqual(
    [...new Set(fixtures.map((f) => f.kind))].sort(),
    ["classification", "extraction", "formatting", "routing"],
  );
  for (const f of fixtures) {
    assert.equal(f.provenance, "authored");
    assert.match(f.description, /reference implementation/);
    assert.ok(f.calls.length >= 320, `${f.taskId} has ${f.calls.length} calls`);
    for (let i = 1; i < f.calls.length; i++) {
      assert.ok(f.calls[i - 1].at < f.calls[i].at, `${f.taskId} call ${i} is after call ${i - 1}`);
    }
    const days = (Date.parse(f.calls.at(-1)!.at) - Date.parse(f.calls[0].at)) / 86_400_000;
    assert.ok(days > 2 && days <= 4, `${f.taskId} spans ${days.toFixed(1)} days`);
    for (const c of f.calls) {
      assert.ok(c.latencyMs > 0 && c.usage.promptTokens > 0 && c.usage.completionTokens > 0);
      const cost = (c.usage.promptTokens * f.model.promptUsdPerMTok +
        c.usage.completionTokens * f.model.completionUsdPerMTok) / 1e6;
      assert.ok(Math.abs(c.costUsd - cost) < 1e-9, `${f.taskId} cost follows the stated price`);
    }
    const median = f.calls.map((c) => c.latencyMs).sort((a, b) => a - b)[f.calls.length >> 1];
    assert.ok(median >= 500 && median <= 1800, `${f.taskId} median latency ${median} ms`);
    if (f.kind === "classification" || f.kind === "routing") {
      assert.ok(f.summary.mostCommonShare < 0.7, `${f.taskId} most common output share`);
      assert.ok(Math.max(...Object.values(f.summary.labelShares!)) < 0.7);
    }
    assert.equal(f.deterministic, f.summary.noisyCalls === 0);
  }
});

Deno.test("the correct handler reproduces the outputs; wrong and constant ones fall below the gate", () => {
  for (const f of fixtures) {
    const labels = f.coderAnswers.map((a) => a.label);
    assert.equal(labels[0], "correct");
    assert.ok(
      labels.filter((l) => l.startsWith("wrong-")).length >= 2,
      `${f.taskId} wrong handlers`,
    );
    assert.ok(labels.includes("constant"));
    for (const answer of f.coderAnswers) {
      const all = agreement(answer.handler, f.calls);
      const name = `${f.taskId}/${answer.label}`;
      if (answer.label === "correct") {
        assert.equal(answer.expect, "accept");
        const clean = f.calls.filter((c) => !c.noisy);
        assert.equal(agreement(answer.handler, clean), 1, `${name} reproduces every clean call`);
        if (f.deterministic) assert.equal(all, 1, `${name} agrees on every call`);
        else assert.ok(all >= 0.98, `${name} agrees on ${all}`);
        // Any later fifth of the traffic (a gate or hidden slice) stays at or above 98%.
        const fifth = Math.floor(f.calls.length / 5);
        for (let start = 0; start + fifth <= f.calls.length; start += fifth) {
          assert.ok(agreement(answer.handler, f.calls.slice(start, start + fifth)) >= 0.98, name);
        }
      } else {
        assert.equal(answer.expect, "reject");
        assert.ok(all < 0.95, `${name} agrees on ${all}`);
        if (answer.label !== "constant") assert.ok(all >= 0.5, `${name} matches a fair share`);
        // Whichever fifth of the traffic becomes the gate slice, the handler stays below 95%.
        const fifth = Math.floor(f.calls.length / 5);
        for (let start = 0; start + fifth <= f.calls.length; start += fifth) {
          assert.ok(agreement(answer.handler, f.calls.slice(start, start + fifth)) < 0.95, name);
        }
      }
      const handle = loadHandler(answer.handler);
      const cases = parseCases(answer.tests);
      assert.ok(cases.length >= 5 && cases.length <= 10, `${name} has 5-10 test cases`);
      for (const c of cases) {
        assert.ok(agrees(c.expected, handle(c.input)), `${name} passes its own test ${c.name}`);
      }
      assert.ok(answer.usage.promptTokens > 0 && answer.costUsd > 0 && answer.latencyMs > 0);
    }
  }
});

Deno.test("every handler runs in QuickJS and answers as it does in V8", async () => {
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  for (const f of fixtures) {
    const inputs = JSON.stringify(f.calls.map((c) => c.input));
    for (const answer of f.coderAnswers) {
      const handle = loadHandler(answer.handler);
      const expected = JSON.stringify(f.calls.map((c) => handle(c.input)));
      const source = `${answer.handler.replace(/^export /gm, "")}\n` +
        `JSON.stringify(${inputs}.map((input) => handle(input)));`;
      const ctx = quickjs.newContext();
      try {
        const result = ctx.evalCode(source, `${f.taskId}-${answer.label}.js`);
        const actual = ctx.dump(ctx.unwrapResult(result));
        assert.equal(actual, expected, `${f.taskId}/${answer.label} in QuickJS`);
      } finally {
        ctx.dispose();
      }
    }
  }
});

Deno.test("a noisy task repeats inputs, and its repeats show the noise at about its rate", () => {
  for (const f of fixtures.filter((f) => !f.deterministic)) {
    // The bench records the first 250 calls: the gate must be able to measure the noise there.
    const recorded = f.calls.slice(0, 250);
    const byInput = new Map<string, Map<string, number>>();
    for (const c of recorded) {
      const answers = byInput.get(canonical(c.input)) ?? new Map<string, number>();
      answers.set(canonical(c.output), (answers.get(canonical(c.output)) ?? 0) + 1);
      byInput.set(canonical(c.input), answers);
    }
    let repeatedCalls = 0, consistent = 0;
    for (const answers of byInput.values()) {
      const counts = [...answers.values()];
      const n = counts.reduce((a, b) => a + b, 0);
      if (n < 2) continue;
      repeatedCalls += n;
      consistent += Math.max(...counts);
    }
    const noiseRate = f.summary.noisyCalls / f.calls.length;
    const measured = 1 - consistent / repeatedCalls;
    assert.ok(repeatedCalls >= 50, `${f.taskId}: ${repeatedCalls} calls of repeated inputs`);
    assert.ok(
      measured > 0 && measured <= 3 * noiseRate,
      `${f.taskId}: repeats disagree on ${measured}, the noise rate is ${noiseRate}`,
    );
    // Repeats do not crowd out distinct inputs: the gate judges each input once.
    assert.ok(byInput.size >= 0.75 * recorded.length, `${f.taskId}: ${byInput.size} distinct`);
  }
});
