import assert from "node:assert/strict";
import { silentLogger } from "../core/mod.ts";
import { JcoComponentRunner, SandboxManager, WasmTier } from "../sandbox/mod.ts";
import { runGate } from "./gate.ts";
import { weighEvidence } from "./evidence.ts";
import { decide } from "./report.ts";

const slices = {
  gate: [1, 2, 3, 4, 5, 6].map((n) => ({ input: { n }, output: n * 2 })),
  hidden: [7, 8].map((n) => ({ input: { n }, output: n * 2 })),
};
const TESTS = `export const cases = [{ name: "doubles", input: { n: 2 }, expected: 4 }];`;
const opts = { appId: "app", componentId: "c", timeoutMs: 1_000 };

/** The gate's verdict on a run over `slices`, at `threshold`. */
function verdict(run: Awaited<ReturnType<typeof gate>>, threshold: number) {
  const judged = slices.gate.map((c, i) => ({ ...c, agreed: run.gateAgreed[i] }));
  return decide(run, weighEvidence(judged, slices.gate, { threshold, gateShare: 0.4 }));
}

async function gate(handler: string, tests = TESTS) {
  const sandbox = new SandboxManager(
    [new WasmTier({ logger: silentLogger, workers: 1, components: new JcoComponentRunner() })],
    silentLogger,
  );
  try {
    return await runGate(sandbox, { dir: "_jit_code/c/v1", handler, tests }, slices, opts);
  } finally {
    await sandbox.close();
  }
}

Deno.test("runGate() runs the candidate's tests and both slices in the wasm tier", async () => {
  const run = await gate(`export function handle(input: { n: number }) { return input.n * 2; }`);
  assert.deepEqual(run.tests, { total: 1, passed: 1, failures: [] });
  assert.equal(run.gate.agreement, 1);
  assert.equal(run.hidden.agreed, 2);
  assert.equal(verdict(run, 0.5).decision, "activate");
  const strict = verdict(run, 0.95);
  assert.equal(strict.decision, "undecided", "6 of 6 cannot show 95%");
  assert.match(strict.reasons.at(-1)!, /collect about \d+ more recorded calls/);
});

Deno.test("runGate() judges a candidate that hangs, and says the sandbox stopped it", async () => {
  const run = await gate(`export function handle() { for (;;) {} }`);
  assert.equal(run.gate.agreed, 0);
  assert.match(run.sandboxFailures[0], /EXECUTION_TIMEOUT/);
  const v = verdict(run, 0.95);
  assert.equal(v.decision, "reject");
  assert.match(v.reasons[0], /the sandbox stopped the code: EXECUTION_TIMEOUT/);
});

Deno.test("runGate() gives generated code no host: no Deno, no fetch, no expected values", async () => {
  const run = await gate(`export async function handle(input: { n: number }) {
    const g = globalThis as Record<string, unknown>;
    if (g.Deno || g.fetch || g.process || g.require) return "escaped";
    return JSON.stringify(g).includes("output") ? "peeked" : input.n * 2;
  }`);
  assert.equal(run.gate.agreement, 1, JSON.stringify(run.gate.mismatches));
});

Deno.test("runGate() reports a handler without handle() and tests that fail", async () => {
  const run = await gate(`export function other() { return 1; }`);
  assert.match(run.tests.failures[0].message, /exports no function handle/);
  const wrong = await gate(
    `export function handle(input: { n: number }) { return input.n + 2; }`,
    `export const cases = [{ name: "doubles", input: { n: 3 }, expected: 6 }];`,
  );
  assert.equal(wrong.gate.agreed, 1, "only n = 2 agrees");
  assert.deepEqual(wrong.tests.failures, [{ name: "doubles", message: "expected 6, got 5" }]);
  assert.equal(wrong.gate.mismatches[0].expected, 2);
});
