/**
 * The JIT loop whole, through Kiln's public faces, on the replay provider: recorded traffic
 * → the oracle's rule fires → generation (coder through `core.llm.generate`) → gate in the
 * wasm tier → activation (a commit in the app's history, visible to stock git) → shadow checks
 * → drift in the traffic → automatic rollback to the LLM.
 */
import assert from "node:assert/strict";
import { git } from "./_support/git.ts";
import {
  APP,
  COMPONENT,
  modelAnswer,
  phoneAppFiles,
  postPhone,
  recordTraffic,
  serveCoder,
  startJitKiln,
  ukPhones,
  US_HANDLER,
  US_TESTS,
  usPhones,
} from "./_support/jit.ts";

async function readSse(res: Response): Promise<{ event: string; data: unknown }[]> {
  const text = await res.text();
  return text.split("\n\n").filter((b) => b.trim()).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
    const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
    return { event, data: JSON.parse(data) };
  });
}

Deno.test("the JIT loop: rule → generation → gate → activation → shadow → drift → rollback", async () => {
  const us = usPhones(30);
  const uk = ukPhones(12);
  const cassette = await recordTraffic([...us, ...uk]);
  const coder = serveCoder([{ handler: US_HANDLER, tests: US_TESTS }]);
  const t = await startJitKiln(cassette, coder, { random: () => 0 });
  try {
    const reg = await t.call("POST", "/v1/apps", { files: phoneAppFiles() });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));

    // Traffic: every number twice, answered by the LLM (replayed) and sampled.
    const before = await t.call("POST", "/v1/optimization/evaluate", { appId: APP });
    assert.equal(before.json.decisions[0].action, "none", "no traffic, no trigger");
    for (const phone of [...us, ...us]) {
      const r = await postPhone(t.kiln.handler, phone);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body), modelAnswer(phone));
      assert.equal(r.provenance, "recording");
    }
    await t.kiln.jitService.idle();
    const samples = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}/samples?limit=5`);
    assert.equal(samples.json.total, 60);

    // The rule fires: the oracle triggers a generation.
    const evaluated = await t.call("POST", "/v1/optimization/evaluate", { appId: APP });
    assert.equal(evaluated.status, 200, JSON.stringify(evaluated.json));
    const [decision] = evaluated.json.decisions;
    assert.equal(decision.action, "TRIGGER_JIT", JSON.stringify(decision));
    assert.equal(decision.ruleId, "harden-format-phone");
    const { generationId } = decision;
    assert.ok(generationId);

    // Progress over SSE, to the end.
    const events = await readSse(
      await t.raw(
        new Request(`http://kiln.test/v1/apps/${APP}/jit/generations/${generationId}/events`, {
          headers: { authorization: "Bearer test-admin-token-0123456789abcdef" },
        }),
      ),
    );
    const phases = events.filter((e) => e.event === "progress").map((e) =>
      (e.data as { phase: string }).phase
    );
    for (const p of ["spec", "coder", "artifacts", "tests", "gate", "hidden", "activate", "done"]) {
      assert.ok(phases.includes(p), `phase ${p} in ${phases}`);
    }
    const done = events.at(-1)!;
    assert.equal(done.event, "done");
    // deno-lint-ignore no-explicit-any -- the report is read field by field below
    const gen = done.data as { status: string; report: Record<string, any> };
    assert.equal(gen.status, "activated", JSON.stringify(gen));
    assert.equal(gen.report.decision, "activate");
    assert.equal(gen.report.gate.agreement, 1);
    assert.ok(gen.report.gate.lowerBound > 0.8 && gen.report.gate.lowerBound < 1);
    assert.equal(gen.report.tests.passed, 4);
    assert.equal(gen.report.slices.gate, 24);

    // The coder was asked through core.llm.generate, with examples and never the gate slice.
    const prompt = String(coder.seen[0].body.messages.at(-1).content);
    assert.equal(coder.seen[0].body.model, "coder-model");
    assert.match(prompt, /Recorded calls/);
    assert.match(prompt, /format_phone|Format this phone number/);

    // Activation is a commit in the app's history; the artifacts are in Git for stock git too.
    const history = await t.call("GET", `/v1/apps/${APP}/definitions/history?limit=10`);
    const messages = history.json.commits.map((c: { message: string }) => c.message);
    assert.ok(
      messages.some((m: string) => m.startsWith(`JIT ${COMPONENT} v1: activate`)),
      messages,
    );
    const repo = `${t.dataDir}/apps/${APP}.git`;
    const tree = await git(["--git-dir", repo, "ls-tree", "-r", "--name-only", "HEAD"]);
    for (const f of ["handler.ts", "handler_test.ts", "entry.ts", "spec.json", "report.json"]) {
      assert.match(tree, new RegExp(`state/_jit_code/${COMPONENT}/v1/${f.replace(".", "\\.")}`));
    }
    const status = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(status.json.handlerType, "jit");
    assert.equal(status.json.activeVersion, "v1");

    // Served by code in the wasm tier, shadowed by the LLM on every call (shadowSampleRate 1).
    for (const phone of us.slice(0, 5)) {
      const r = await postPhone(t.kiln.handler, phone);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body), modelAnswer(phone));
      assert.equal(r.tier, "wasm");
      assert.equal(r.provenance, null, "no LLM answered this call");
      // Each shadow renders its prompt in the app's renderer process; let it finish, so none is
      // skipped for having too many in flight.
      await t.kiln.jitService.idle();
    }
    const shadowed = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.deepEqual(
      { checks: shadowed.json.shadow.checks, agreements: shadowed.json.shadow.agreements },
      { checks: 5, agreements: 5 },
    );

    // Drift: UK numbers the code formats wrong; rolling agreement drops and Kiln rolls back.
    for (const phone of uk) {
      await postPhone(t.kiln.handler, phone);
      await t.kiln.jitService.idle();
    }
    const rolled = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(rolled.json.handlerType, "llm", JSON.stringify(rolled.json));
    assert.equal(rolled.json.state, "rolled_back");
    assert.match(rolled.json.rollbackReason, /shadow test: 3 of 8 shadowed answers disagree/);
    const after = await postPhone(t.kiln.handler, uk[0]);
    assert.equal(JSON.parse(after.body), modelAnswer(uk[0]));
    assert.equal(after.provenance, "recording", "the LLM answers again");

    const audit = await t.call("GET", `/v1/apps/${APP}/optimization/audit`);
    const actions = audit.json.entries.map((e: { action: string }) => e.action).reverse();
    assert.deepEqual(
      actions,
      ["TRIGGER_JIT", "generation_started", "activated", "rolled_back"],
    );
    assert.equal(audit.json.entries[0].actor, "kiln");
    const log = await git(["--git-dir", repo, "log", "--format=%s", "-3"]);
    assert.match(log, new RegExp(`JIT ${COMPONENT} v1: roll back to the LLM`));
  } finally {
    await t.close();
    await coder.close();
  }
});

Deno.test("a rejected version promoted by an operator falls back to the LLM where it fails", async () => {
  const us = usPhones(20, 3);
  const cassette = await recordTraffic(us);
  // Right for most notations, but throws on dotted numbers.
  const fragile = US_HANDLER.replace(
    "{\n",
    '{\n  if (input.phone.includes(".")) throw new Error("dots are not supported");\n',
  );
  const coder = serveCoder([{ handler: fragile, tests: US_TESTS }]);
  const t = await startJitKiln(cassette, coder, { random: () => 0.99 });
  try {
    await t.call("POST", "/v1/apps", { files: phoneAppFiles() });
    const early = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/generate`, {});
    assert.equal(early.status, 409);
    assert.equal(early.json.error.code, "JIT_NOT_READY");
    assert.match(early.json.error.message, /has 0 recorded calls; a generation needs at least 30/);
    for (const phone of [...us, ...us]) await postPhone(t.kiln.handler, phone);
    await t.kiln.jitService.idle();
    const started = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/generate`, {});
    assert.equal(started.status, 202, JSON.stringify(started.json));
    const busy = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/generate`, {});
    assert.equal(busy.status, 409);
    assert.equal(busy.json.error.code, "JIT_BUSY");
    await t.kiln.jitService.wait(APP, COMPONENT);
    const gen = await t.call(
      "GET",
      `/v1/apps/${APP}/optimization/generations/${started.json.generationId}`,
    );
    assert.equal(gen.json.status, "rejected");
    assert.match(gen.json.report.reasons.join(), /1 of 4 generated tests fail/);
    assert.ok(gen.json.report.gate.agreement < 0.95);
    const still = await postPhone(t.kiln.handler, us[0]);
    assert.equal(still.provenance, "recording", "a rejected version never serves");

    const promoted = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/promote`, {
      version: "v1",
    });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.json));
    const dotted = us.find((p) => p.includes("."))!;
    const plain = us.find((p) => !p.includes("."))!;
    const byCode = await postPhone(t.kiln.handler, plain);
    assert.equal(byCode.tier, "wasm");
    assert.equal(byCode.provenance, null);
    const fallback = await postPhone(t.kiln.handler, dotted);
    assert.equal(fallback.status, 200, fallback.body);
    assert.equal(JSON.parse(fallback.body), modelAnswer(dotted), "the LLM answered instead");
    assert.equal(fallback.provenance, "recording");
    const status = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(status.json.fallbacks, 1);
    assert.equal(status.json.versions[0].decision, "promoted");
    const noVersion = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/promote`, {
      version: "v7",
    });
    assert.equal(noVersion.status, 404);
    const bad = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/promote`, { version: "x" });
    assert.equal(bad.status, 400);
  } finally {
    await t.close();
    await coder.close();
  }
});

Deno.test("generated code whose answer breaks the output schema falls back to the LLM", async () => {
  const us = usPhones(16, 5);
  const cassette = await recordTraffic(us, true);
  const handler = `export function handle(input: { phone: string }) {
  const d = String(input.phone).replace(/\\D/g, "").slice(-10);
  const formatted = \`+1-\${d.slice(0, 3)}-\${d.slice(3, 6)}-\${d.slice(6)}\`;
  return { formatted: input.phone.includes(".") ? formatted.slice(1) : formatted };
}
`;
  const tests = `export const cases = [
  { name: "plain", input: { phone: "4155550100" }, expected: { formatted: "+1-415-555-0100" } },
];
`;
  const coder = serveCoder([{ handler, tests }]);
  const t = await startJitKiln(cassette, coder, { random: () => 0.99 });
  try {
    await t.call("POST", "/v1/apps", { files: phoneAppFiles(undefined, true) });
    for (const phone of [...us, ...us]) {
      const r = await postPhone(t.kiln.handler, phone);
      assert.equal(r.status, 200, r.body);
    }
    await t.kiln.jitService.idle();
    await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/generate`, {});
    await t.kiln.jitService.wait(APP, COMPONENT);
    const rejected = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(rejected.json.lastGeneration.status, "rejected");
    const promoted = await t.call("POST", `/v1/apps/${APP}/jit/${COMPONENT}/promote`, {
      version: "v1",
    });
    assert.equal(promoted.status, 200);
    const dotted = us.find((p) => p.includes("."))!;
    const r = await postPhone(t.kiln.handler, dotted);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { formatted: modelAnswer(dotted) });
    assert.equal(r.provenance, "recording", "the schema violation was not served");
    const status = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(status.json.fallbacks, 1);
  } finally {
    await t.close();
    await coder.close();
  }
});
