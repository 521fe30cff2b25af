/**
 * Tenant isolation of app-defined logic that Kiln evaluates itself: prompt templates, workflow
 * expressions, JSON Schema checks of app data and the redaction of sampled pairs. Each test
 * attacks a real `kiln serve` through its public surface while a bystander app is probed, and
 * checks the attacker's structured error (or correct answer), the bystander's p99 and that the
 * attacking app serves normally afterwards.
 */
import assert from "node:assert/strict";
import { EXAMPLE_TICKETS } from "../examples/support_desk_cassettes.ts";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import { json, openAiAnswer, serveWire, type WireServer } from "../src/llm/_test_support.ts";
import {
  assertError,
  type AttackKiln,
  fetchJson,
  startAttackKiln,
  underAttack,
} from "./_support/attack.ts";

const post = (kiln: AttackKiln, path: string, body: unknown) =>
  fetchJson(kiln, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** A kiln whose `default` model is a local OpenAI-wire stand-in answering `answer(prompt)`. */
async function withModel(
  answer: (prompt: string) => string,
  fn: (kiln: AttackKiln, model: WireServer) => Promise<void>,
): Promise<void> {
  const model = serveWire((req) => {
    const messages = req.body.messages as { content: string }[];
    return json(openAiAnswer(answer(messages.map((m) => m.content).join("\n"))));
  });
  let kiln: AttackKiln | undefined;
  try {
    kiln = await startAttackKiln({
      env: {
        KILN_LLM_PROVIDER: "openai",
        KILN_LLM_MODEL: "wire-model",
        KILN_LLM_BASE_URL: `${model.url}/v1`,
        KILN_LLM_API_KEY_ENV: "",
      },
    });
    await fn(kiln, model);
  } finally {
    await kiln?.stop();
    await model.close();
  }
}

/**
 * Repeats an attack back to back for `ms` (at least once) and answers every round's results: a
 * sustained attack, and enough bystander calls (100+) that its p99 is a percentile rather than
 * the one slowest call.
 */
async function sustained<T>(ms: number, attack: () => Promise<T>): Promise<T[]> {
  const all: T[] = [];
  const end = performance.now() + ms;
  do all.push(await attack()); while (performance.now() < end);
  return all;
}

function app(appId: string, components: string, files: Record<string, string>) {
  return {
    "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n`,
    "component_registry.yaml": `components:\n${components}`,
    ...files,
  };
}

function llmComponent(id: string, prompt: string, timeoutMs = 5_000): string {
  return `  - componentId: ${id}
    handlerType: llm
    taskDetails: { promptTemplate: ${prompt} }
    routeMatcher: { pathPattern: /${id}, methods: [POST] }
    limits: { timeoutMs: ${timeoutMs} }
`;
}

const NESTED_LOOPS =
  "{% for a in range(4000) %}{% for b in range(4000) %}x{% endfor %}{% endfor %}";
const DOUBLING = "{% set s = 'xx' %}" + "{% set s = s ~ s %}".repeat(28) + "{{ s }}";

Deno.test("a prompt template that loops or doubles a string costs only its own app", async () => {
  await withModel(() => "fine", async (kiln) => {
    await kiln.register(app(
      "templ",
      llmComponent("loops", "loops", 1_000) + llmComponent("doubling", "doubling") +
        llmComponent("fine", "fine"),
      {
        "prompts/loops.yaml": `template: ${JSON.stringify(NESTED_LOOPS)}\n`,
        "prompts/doubling.yaml": `template: ${JSON.stringify(DOUBLING)}\n`,
        "prompts/fine.yaml": `template: "Say {{ word }}"\n`,
      },
    ));
    const warm = await post(kiln, "/apps/templ/fine", { word: "hi" });
    assert.equal(warm.status, 200, `warm: ${JSON.stringify(warm.json)} ${warm.ms.toFixed(0)} ms`);
    // The app renders one template at a time: the second loop waits its turn, then times out.
    const { result } = await underAttack(kiln, () =>
      sustained(2_000, async () => {
        const doubling = await post(kiln, "/apps/templ/doubling", {});
        const loops = await Promise.all([
          post(kiln, "/apps/templ/loops", {}),
          post(kiln, "/apps/templ/loops", {}),
        ]);
        return [...loops, doubling];
      }));
    for (const [loop1, loop2, doubling] of result) {
      for (const loop of [loop1, loop2]) {
        assertError(loop, 504, "EXECUTION_TIMEOUT", {
          reason: "timeout",
          stage: "prompt template",
          limit: "template.ms",
        });
        assert.ok(loop.ms < 3_000, `the loop was stopped after ${loop.ms.toFixed(0)} ms`);
      }
      assert.equal(doubling.status, 500, JSON.stringify(doubling.json));
      assert.equal(doubling.json.error.code, "SANDBOX_KILLED");
      assert.ok(["output", "memory"].includes(doubling.json.error.details.reason));
      assert.equal(doubling.json.error.details.stage, "prompt template");
    }
    const after = await post(kiln, "/apps/templ/fine", { word: "hi" });
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.equal(after.json, "fine");
  });
});

function workflowComponent(id: string): string {
  return `  - componentId: ${id}
    handlerType: workflow
    taskDetails: { workflowId: ${id} }
    routeMatcher: { pathPattern: /${id}, methods: [POST] }
    limits: { timeoutMs: 10000 }
`;
}

function answerWorkflow(id: string, expression: string): string {
  return `workflowId: ${id}
trigger: { type: http }
startAt: answer
steps:
  answer:
    type: control
    target: { subtype: formatResponse, resultType: generic }
    inputMapping:
      value: ${JSON.stringify(expression)}
    end: true
`;
}

const EXPLODE =
  "trigger.body.l.exists(a, trigger.body.l.exists(b, trigger.body.l.map(c, c).size() > 1000))";

Deno.test("workflow expressions run under budgets: exploding comprehensions, regexes, split/join", async () => {
  const kiln = await startAttackKiln();
  try {
    await kiln.register(app(
      "calc",
      ["explode", "match", "splitjoin", "routed", "ok"].map(workflowComponent).join(""),
      {
        "workflows/explode.yaml": answerWorkflow("explode", EXPLODE),
        "workflows/match.yaml": answerWorkflow("match", "trigger.body.s.matches('^(a+)+$')"),
        "workflows/splitjoin.yaml": answerWorkflow(
          "splitjoin",
          "size(trigger.body.s.split('').join(trigger.body.s))",
        ),
        // Benign use of the same functions: comprehensions, matches(), split() and join().
        "workflows/ok.yaml": answerWorkflow(
          "ok",
          "trigger.body.l.filter(x, x >= 10.0).map(x, x).size() + " +
            "size('a,b'.split(',').join('-')) + ('ab'.matches('^a') ? 1 : 0)",
        ),
        "workflows/routed.yaml": `workflowId: routed
trigger: { type: http }
startAt: compute
steps:
  compute:
    type: control
    target: { subtype: wait, durationMs: 0 }
    inputMapping:
      value: "size(trigger.body.s.split('').join(trigger.body.s))"
    transitions:
      onSuccess: done
      onFailureDefault: fallback
  done:
    type: control
    target: { subtype: formatResponse, resultType: generic }
    inputMapping: { value: steps.compute.output.value }
    end: true
  fallback:
    type: control
    target: { subtype: formatResponse, resultType: generic }
    inputMapping:
      code: steps.compute.output.error.code
      limit: steps.compute.output.error.details.limit
    end: true
`,
      },
    ));
    const list = { l: Array.from({ length: 400 }, (_, i) => i) }; // a 2 KB body
    assert.equal((await post(kiln, "/apps/calc/ok", list)).status, 200, "warm");
    // One after another: each evaluation is bounded, so what the bystander may wait for is one
    // evaluation's budget, not the attacker's concurrency.
    const { result } = await underAttack(kiln, () =>
      sustained(2_000, async () => [
        await post(kiln, "/apps/calc/explode", list),
        await post(kiln, "/apps/calc/match", { s: "a".repeat(30) + "!" }),
        // 10,000 characters joined with themselves would be 100 million.
        await post(kiln, "/apps/calc/splitjoin", { s: "x".repeat(10_000) }),
        await post(kiln, "/apps/calc/routed", { s: "x".repeat(3_000) }),
      ]));
    for (const [explode, match, splitjoin, routed] of result) {
      assertError(explode, 500, "EXPRESSION_ERROR");
      assert.match(explode.json.error.message, /budget expression\.steps/);
      assert.equal(match.status, 200, JSON.stringify(match.json));
      assert.deepEqual(match.json, { value: false }, "RE2 answers, and quickly");
      assertError(splitjoin, 500, "EXPRESSION_ERROR");
      assert.match(splitjoin.json.error.message, /budget expression\.bytes/);
      assert.equal(routed.status, 200, JSON.stringify(routed.json));
      assert.deepEqual(routed.json, { code: "EXPRESSION_ERROR", limit: "expression.bytes" });
      for (const r of [explode, match, splitjoin, routed]) {
        assert.ok(r.ms < 2_000, `answered in ${r.ms.toFixed(0)} ms`);
      }
    }
    const ok = await post(kiln, "/apps/calc/ok", list);
    assert.deepEqual([ok.status, ok.json], [200, { value: 394 }]);
  } finally {
    await kiln.stop();
  }
});

const SHAPE_SCHEMA = JSON.stringify({
  type: "object",
  properties: { s: { type: "string", pattern: "^(a+)+$" } },
  required: ["s"],
});

Deno.test("a JSON Schema pattern that backtracks catastrophically is checked in linear time", async () => {
  // 40 a's and a '!' take V8's backtracking engine 2^40 steps against ^(a+)+$.
  const evil = JSON.stringify({ s: "a".repeat(40) + "!" });
  await withModel((p) => p.includes("EVIL") ? evil : '{"s":"aaaa"}', async (kiln) => {
    await kiln.register(app("shapes", llmComponent("shape", "shape"), {
      "prompts/shape.yaml": `template: "{{ word }}"\noutputFormat: json\n` +
        `outputSchema: schemas/shape.schema.json\n`,
      "schemas/shape.schema.json": SHAPE_SCHEMA,
    }));
    // The app has served before: its renderer is up, as it would be for an app under attack.
    assert.equal((await post(kiln, "/apps/shapes/shape", { word: "good" })).status, 200, "warm");
    const evilCall = () => post(kiln, "/apps/shapes/shape", { word: "EVIL" });
    const { result } = await underAttack(
      kiln,
      () => sustained(2_000, () => Promise.all([evilCall(), evilCall(), evilCall()])),
    );
    for (const res of result.flat()) {
      assertError(res, 502, "LLM_OUTPUT_INVALID");
      assert.match(res.json.error.message, /must match pattern/);
    }
    const good = await post(kiln, "/apps/shapes/shape", { word: "good" });
    assert.deepEqual([good.status, good.json], [200, { s: "aaaa" }]);
  });
});

function itemApp(appId: string, type: string): Record<string, string> {
  return app(appId, llmComponent("item", "item"), {
    "prompts/item.yaml": `template: "${appId} {{ word }}"\noutputFormat: json\n` +
      `outputSchema: schemas/item.schema.json\n`,
    "schemas/item.schema.json": itemSchema(type),
  });
}

function itemSchema(type: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    $id: "https://schemas.example.com/item",
    type: "object",
    required: ["v"],
    properties: { v: { type, ...extra } },
  });
}

Deno.test("apps with the same schema $id do not collide, and an edited $id schema applies at once", async () => {
  await withModel((p) => p.includes("ida") ? '{"v":"x"}' : '{"v":1}', async (kiln) => {
    await kiln.register(itemApp("ida", "string"));
    await kiln.register(itemApp("idb", "number"));
    const { result } = await underAttack(kiln, () =>
      sustained(2_000, async () => {
        const a = await post(kiln, "/apps/ida/item", { word: "w" });
        const b = await post(kiln, "/apps/idb/item", { word: "w" });
        return [a, b];
      }));
    for (const round of result) {
      assert.deepEqual(round.map((r) => [r.status, r.json]), [[200, { v: "x" }], [200, { v: 1 }]]);
    }

    const details = await kiln.api("GET", "/v1/apps/idb");
    const edit = await kiln.api("PUT", "/v1/apps/idb/definitions/file", {
      path: "schemas/item.schema.json",
      content: itemSchema("number", { maximum: 0 }),
      expectedBaseRevision: details.json.revision,
      commitMessage: "Tighten the item schema",
    });
    assert.equal(edit.status, 200, JSON.stringify(edit.json));
    const after = await post(kiln, "/apps/idb/item", { word: "w" });
    assertError(after, 502, "LLM_OUTPUT_INVALID");
    assert.match(after.json.error.message, /\/v must be <= 0/, "the edited schema applies");
    const other = await post(kiln, "/apps/ida/item", { word: "w" });
    assert.deepEqual([other.status, other.json], [200, { v: "x" }]);
  });
});

Deno.test("sampled pairs are size-checked before redaction, and redaction runs in linear time", async () => {
  const kiln = await startAttackKiln();
  try {
    // The example app, with its ticket schema open to extra fields: the attacker's `notes` then
    // reaches sampling without changing the prompt, so the recording answers.
    const open: Record<string, string> = {
      ...supportDeskFiles,
      "schemas/ticket.schema.json": supportDeskFiles["schemas/ticket.schema.json"].replace(
        '"additionalProperties": false',
        '"additionalProperties": true',
      ),
    };
    assert.notEqual(
      open["schemas/ticket.schema.json"],
      supportDeskFiles["schemas/ticket.schema.json"],
    );
    await kiln.register(open);
    // The same app under another id, sampling up to 1 MB and masking with a pattern that
    // backtracks exponentially on V8's engine.
    const greedy: Record<string, string> = {
      ...open,
      "app_definition.yaml": supportDeskFiles["app_definition.yaml"].replace(
        "appId: support-desk",
        "appId: greedy-desk",
      ),
      "optimization_config.yaml": `sampling:
  maxInputBytes: 1048576
  redact:
    - pattern: "(x+x+)+y"
      replacement: "<x>"
`,
    };
    await kiln.register(greedy);
    const ticket = EXAMPLE_TICKETS[0].ticket;
    const { result } = await underAttack(kiln, () =>
      sustained(2_000, () =>
        Promise.all([
          // Unauthenticated; the extra field does not change the prompt, so the recording answers.
          post(kiln, "/apps/support-desk/tickets/classify", {
            ...ticket,
            notes: "-eyJ".repeat(20_000),
          }),
          post(kiln, "/apps/greedy-desk/tickets/classify", {
            ...ticket,
            notes: "x".repeat(30_000),
          }),
          post(kiln, "/apps/greedy-desk/tickets/classify", {
            ...ticket,
            notes: "Bearer abcdefghijklmnopqrstuvwx",
          }),
        ])));
    for (const res of result.flat()) {
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, EXAMPLE_TICKETS[0].classification);
    }
    const samples = async (appId: string) =>
      (await kiln.api("GET", `/v1/apps/${appId}/jit/classify-ticket/samples`)).json.samples as {
        input: { notes: string };
      }[];
    assert.deepEqual(await samples("support-desk"), [], "the oversize pair was not sampled");
    const notes = [...new Set((await samples("greedy-desk")).map((s) => s.input.notes))].sort();
    assert.deepEqual(notes, ["[redacted]", "x".repeat(30_000)]);
    const again = await post(kiln, "/apps/support-desk/tickets/classify", ticket);
    assert.equal(again.status, 200);
  } finally {
    await kiln.stop();
  }
});
