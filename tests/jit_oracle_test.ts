/**
 * The optimization oracle through HTTP: global rules kept across restarts, app
 * rules overriding them by id, `preferLlmFlexibility` turning a trigger into a recommendation,
 * and every decision that acts in the audit log once.
 */
import assert from "node:assert/strict";
import { startKiln } from "./_support/kiln.ts";
import {
  APP,
  COMPONENT,
  phoneAppFiles,
  postPhone,
  recordTraffic,
  usPhones,
  WIRE_MODEL,
} from "./_support/jit.ts";

const STABLE = {
  ruleId: "hot-and-stable",
  action: "TRIGGER_JIT",
  conditions: [{ metric: "output_stability", operator: ">=", value: 0.9, windowMinutes: 60 }],
};

Deno.test("global rules persist; preferLlmFlexibility turns their trigger into one recommendation", async () => {
  const us = usPhones(10, 11);
  const cassette = await recordTraffic(us);
  const t = await startKiln({
    tiers: [],
    random: () => 0,
    optimization: { evaluateEveryMs: 0 },
    llm: {
      config: { profiles: { default: { provider: "replay", model: WIRE_MODEL } } },
      cassettes: [cassette],
    },
  });
  try {
    const invalid = await t.call("PUT", "/v1/optimization/rules", {
      rules: [{ ruleId: "x", action: "SHIP_IT", conditions: [] }],
    });
    assert.equal(invalid.status, 400);
    const put = await t.call("PUT", "/v1/optimization/rules", { rules: [STABLE] });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    await t.restart();
    const kept = await t.call("GET", "/v1/optimization/rules");
    assert.equal(kept.json.rules[0].ruleId, "hot-and-stable", "kept across a restart");

    await t.call("POST", "/v1/apps", {
      files: phoneAppFiles("preferLlmFlexibility: true\nrules: []\n"),
    });
    const { apiKey } = (await t.call("POST", `/v1/apps/${APP}/keys`, {
      permissions: ["jit:read"],
    })).json;
    const forbidden = await t.call("PUT", "/v1/optimization/rules", { rules: [] }, apiKey);
    assert.equal(forbidden.status, 403);
    const cannotEvaluate = await t.call(
      "POST",
      "/v1/optimization/evaluate",
      { appId: APP },
      apiKey,
    );
    assert.equal(cannotEvaluate.status, 403, "evaluating needs jit:write");

    for (const phone of [...us, ...us]) await postPhone(t.kiln.handler, phone);
    await t.kiln.jitService.idle();
    for (let i = 0; i < 2; i++) {
      const { json } = await t.call("POST", "/v1/optimization/evaluate", { appId: APP });
      const [d] = json.decisions;
      assert.equal(d.action, "RECOMMEND_JIT", JSON.stringify(d));
      assert.equal(d.level, "global");
      assert.match(d.reason, /preferLlmFlexibility/);
      assert.deepEqual(d.observed, [{
        metric: "output_stability",
        aggregation: "avg",
        value: 1,
        holds: true,
      }]);
    }
    const recs = await t.call(
      "GET",
      `/v1/apps/${APP}/optimization/recommendations`,
      undefined,
      apiKey,
    );
    assert.equal(recs.json.recommendations[0].componentId, COMPONENT);
    const audit = await t.call("GET", `/v1/apps/${APP}/optimization/audit`);
    assert.deepEqual(audit.json.entries.map((e: { action: string }) => e.action), [
      "RECOMMEND_JIT",
    ], "the same recommendation is audited once");
    const status = await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`);
    assert.equal(status.json.state, "llm", "a recommendation changes nothing");

    // An app rule of the same id overrides the global one.
    const file = await t.call(
      "GET",
      `/v1/apps/${APP}/definitions/file?path=optimization_config.yaml`,
    );
    assert.equal(file.status, 200, JSON.stringify(file.json));
    const stricter = "preferLlmFlexibility: true\nrules:\n  - ruleId: hot-and-stable\n" +
      "    action: RECOMMEND_JIT\n    conditions:\n      - metric: output_stability\n" +
      '        operator: ">"\n        value: 1\n';
    const write = await t.call("PUT", `/v1/apps/${APP}/definitions/file`, {
      path: "optimization_config.yaml",
      content: stricter,
      expectedBaseRevision: file.json.revision,
      commitMessage: "stricter rule",
    });
    assert.equal(write.status, 200, JSON.stringify(write.json));
    const after = await t.call("POST", "/v1/optimization/evaluate", { appId: APP });
    assert.equal(after.json.decisions[0].action, "none");
    assert.equal(after.json.decisions[0].level, "app");

    // Deregistering with its state leaves no samples, records or audit behind.
    const gone = await t.call("DELETE", `/v1/apps/${APP}?deleteState=true`);
    assert.equal(gone.status, 200, JSON.stringify(gone.json));
    await t.call("POST", "/v1/apps", { files: phoneAppFiles() });
    assert.deepEqual((await t.call("GET", `/v1/apps/${APP}/optimization/audit`)).json.entries, []);
    assert.equal((await t.call("GET", `/v1/apps/${APP}/jit/${COMPONENT}`)).json.samples, 0);
  } finally {
    await t.close();
  }
});

Deno.test("a global rule keeps its appId, and an unknown key in a global rule is refused", async () => {
  const t = await startKiln({ tiers: [], optimization: { evaluateEveryMs: 0 } });
  try {
    const put = await t.call("PUT", "/v1/optimization/rules", {
      rules: [{ ...STABLE, appId: "shop" }],
    });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal(put.json.rules[0].appId, "shop");
    assert.equal((await t.call("GET", "/v1/optimization/rules")).json.rules[0].appId, "shop");
    const typo = await t.call("PUT", "/v1/optimization/rules", {
      rules: [{ ...STABLE, apId: "shop" }],
    });
    assert.equal(typo.status, 400);
    assert.equal(typo.json.error.code, "VALIDATION_ERROR");
    assert.match(JSON.stringify(typo.json.error), /apId/);
  } finally {
    await t.close();
  }
});
