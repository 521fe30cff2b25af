/**
 * The JIT gate on a fixture of its own (shipping routes with a 4% hazardous class), through
 * Kiln's public faces — ingress traffic answered by a stand-in model at the wire, generations
 * over HTTP and `kiln jit generate --wait`, promotion over HTTP — with the stand-in coder
 * returning one candidate per generation. Near-misses (≥ 2% wrong) are refused at the default
 * settings, the correct handler activates, a promoted near-miss is rolled back by the shadow
 * test within its bound, and generated code gets no tool the gate did not see it use.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/mod.ts";
import { silentLogger } from "../src/core/mod.ts";
import { JcoComponentRunner, WasmTier } from "../src/sandbox/mod.ts";
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { ADMIN_TOKEN } from "./_support/kiln.ts";
import { adminApi, startMcpKiln } from "./_support/mcp.ts";
import {
  callsToolWhenServing,
  candidate,
  missesHazmat,
  offByOne,
  postShipment,
  route,
  serveShippingModel,
  SHIP_APP as APP,
  SHIP_COMPONENT as COMPONENT,
  shipments,
  shippingAppFiles,
  throwsOnDecimals,
} from "./_support/shipping.ts";

const BUSY = new Set(["OVERLOADED", "TIER_UNAVAILABLE"]);

Deno.test("the gate refuses near-miss handlers on a rare class, activates the correct one, and the shadow test rolls a near-miss back", async () => {
  // The stand-in coder answers whatever the test set last (null: the call fails).
  let answer: { handler: string; tests: string } | null = null;
  const coder = serveWire(() =>
    answer
      ? json(openAiAnswer(JSON.stringify(answer), { prompt: 4000, completion: 600 }))
      : json({ error: { message: "bad request", type: "invalid_request" } }, 400)
  );
  const model = serveShippingModel();
  // One QuickJS worker, started before anything else runs: on a loaded 2-core machine a worker
  // starting under load can miss its start deadline, and the tier then stays unavailable.
  const wasm = new WasmTier({
    logger: silentLogger,
    workers: 1,
    components: new JcoComponentRunner(),
  });
  let random = 0.99; // sampled (rate 1), never shadowed (rate 0.1) until the drift phase
  const k = await startMcpKiln({
    llm: {
      config: {
        profiles: {
          default: { provider: "openai", baseUrl: `${model.url}/v1`, model: "ship-model" },
          coder: { provider: "openai", baseUrl: `${coder.url}/v1`, model: "coder-model" },
        },
      },
    },
    kiln: {
      optimization: { evaluateEveryMs: 0 },
      random: () => random,
      tiers: [wasm],
    },
  });
  const api = (method: string, path: string, body?: unknown) => adminApi(k.url, method, path, body);
  // A busy wasm tier fails a generation (it is not the candidate's fault); on a loaded CI
  // machine QuickJS can be slow to start, so such a generation is retried.
  const generate = async (next: { handler: string; tests: string } | null) => {
    answer = next;
    for (let attempt = 1;; attempt++) {
      const started = await api("POST", `/v1/apps/${APP}/jit/${COMPONENT}/generate`, {});
      await k.kiln.jitService.wait(APP, COMPONENT);
      const gen = await api("GET", `/v1/apps/${APP}/jit/generations/${started.generationId}`);
      if (!BUSY.has(gen.error?.code) || attempt === 4) return gen;
    }
  };
  try {
    wasm.warm();
    for (let waited = 0; wasm.stats().live < 1; waited += 100) {
      assert.ok(waited < 60_000, "QuickJS did not start within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Default gate settings: the app sets nothing.
    await api("POST", "/v1/apps", { files: shippingAppFiles() });
    const traffic = shipments(300);
    for (const request of traffic) {
      const r = await postShipment(k.handler, request);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), route({ request }));
    }
    await k.kiln.jitService.idle();

    // Misses the 4% hazardous class: rejected, and the class is named.
    const hazmat = await generate(await candidate(missesHazmat));
    assert.equal(hazmat.status, "rejected", JSON.stringify(hazmat.report?.reasons ?? hazmat.error));
    const reasons = hazmat.report.reasons.join("\n");
    assert.match(
      reasons,
      /held-out answers \(gate and hidden slices\) disagree; the LLM disagrees with itself on 0\.0% of calls \(measured on \d+ calls of \d+ repeated inputs\)/,
    );
    assert.match(
      reasons,
      /output class \{"carrier":"hazmat-freight","speed":"standard"\} \(4\.\d% of traffic\): 0\/\d+ agree/,
    );
    const classes = hazmat.report.evidence.classes as {
      key: string;
      total: number;
      judged: boolean;
    }[];
    const rare = classes.find((c) => c.key.includes("hazmat"))!;
    assert.ok(
      rare.judged && rare.total >= 5,
      "the stratified gate slice holds ≥ 5 hazardous calls",
    );
    assert.ok(hazmat.report.gate.agreement > 0.95, "its point estimate alone would have passed");

    // `> 30` for `>= 30` kg (~2% wrong): rejected.
    const off = await generate(await candidate(offByOne));
    assert.equal(off.status, "rejected", JSON.stringify(off.report?.reasons));
    assert.ok(off.report.gate.agreement > 0.97);
    assert.match(off.report.reasons[0], /held-out answers \(gate and hidden slices\) disagree/);

    // Throws on decimal weights: every such call counts as a disagreement.
    const throws = await generate(await candidate(throwsOnDecimals));
    assert.equal(throws.status, "rejected");
    assert.match(throws.report.gate.mismatches[0].error, /decimal weights are not supported/);

    // An invalid coder answer fails; its version number is not handed out again.
    const failed = await generate(null);
    assert.equal(failed.status, "failed", JSON.stringify(failed.report?.reasons));
    const failedNumber = Number(failed.version.slice(1));
    const next = `v${failedNumber + 1}`;

    // The correct handler, through `kiln jit generate --wait`: activated under the next number.
    answer = await candidate(route);
    let out: string[] = [], err: string[] = [], code = -1;
    for (let attempt = 1; attempt <= 4; attempt++) {
      out = [];
      err = [];
      code = await runCli(
        ["jit", "generate", APP, COMPONENT, "--wait", "--url", k.url, "--token", ADMIN_TOKEN],
        { out: (s: string) => out.push(s), err: (s: string) => err.push(s) },
      );
      if (!/OVERLOADED|TIER_UNAVAILABLE/.test(out.join("\n"))) break;
    }
    assert.equal(code, 0, `${out.join("\n")}\n${err.join("\n")}`);
    assert.match(
      out.join("\n"),
      /\[done\] activated: gate agreement 100\.0% \(\d+\/\d+\), lower bound 9\d\.\d% ≥ 95\.0%/,
    );
    const status = await api("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.ok(
      Number(status.activeVersion.slice(1)) >= Number(next.slice(1)),
      "the failed generation's number is not reused",
    );
    const decisions = status.versions.map((v: { decision: string }) => v.decision);
    assert.deepEqual(decisions, ["rejected", "rejected", "rejected", "activated"]);
    assert.ok(!status.versions.some((v: { version: string }) => v.version === failed.version));
    const lithium = await postShipment(k.handler, "12 kg lithium batteries, urgent");
    assert.equal(lithium.tier, "wasm", "answered by the generated code");
    assert.deepEqual(JSON.parse(lithium.body), { carrier: "hazmat-freight", speed: "standard" });

    // Drift: an operator promotes the hazmat-blind v1; hazardous traffic rises to 1 in 3 and
    // every call is shadowed. The sequential test rolls back on the third disagreement.
    await api("POST", `/v1/apps/${APP}/jit/${COMPONENT}/promote`, { version: hazmat.version });
    random = 0;
    let served = 0;
    for (const request of shipments(60, 2, 3)) {
      const r = await postShipment(k.handler, request);
      assert.equal(r.status, 200, r.body);
      served++;
      await k.kiln.jitService.idle();
      const now = await api("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
      if (now.handlerType === "llm") break;
    }
    const rolled = await api("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(rolled.state, "rolled_back", JSON.stringify(rolled));
    assert.ok(served <= 10, `rolled back after ${served} calls`);
    const audit = await api("GET", `/v1/apps/${APP}/optimization/audit`);
    const entry = audit.entries.find((e: { action: string }) => e.action === "rolled_back");
    assert.equal(entry.actor, "kiln");
    const shadow = entry.details.shadow;
    assert.equal(shadow.checks, served, "the audit records the deciding test's checks");
    assert.equal(shadow.checks - shadow.agreements, 3);
    assert.ok(shadow.llr >= shadow.bounds.rollback);
    assert.match(entry.reason, /shadow test: 3 of \d+ shadowed answers disagree/);
    random = 0.99;

    // A candidate that calls a tool only when serving: it passes the gate (which saw no tool
    // call), but live it runs with no tool permissions, so the call is refused and the LLM
    // answers that request instead.
    const tooled = await generate(await candidate(callsToolWhenServing));
    assert.equal(tooled.status, "activated", JSON.stringify(tooled.report?.reasons));
    const plain = await postShipment(k.handler, "3 kg books");
    assert.equal(plain.tier, "wasm");
    const audited = await postShipment(k.handler, "3 kg books, audit");
    assert.equal(audited.status, 200, audited.body);
    assert.deepEqual(JSON.parse(audited.body), route({ request: "3 kg books, audit" }));
    assert.notEqual(audited.tier, "wasm", "the generated code did not answer; the LLM did");
    const after = await api("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(after.fallbacks, 1);
  } finally {
    await k.close();
    await coder.close();
    await model.close();
  }
});
