/**
 * Fuzzes the JSON Schemas apps define and the data checked against them: each case writes a
 * random schema file (patterns — catastrophic ones included — `$id`s shared with another app,
 * `$ref`s, deep nesting, odd keywords) and calls an llm component whose prompt's `outputSchema`
 * is that file; the model (a stand-in at the wire) answers random JSON. Kiln must answer each
 * write and call without a server error (an answer that misses its schema is the model's fault:
 * 502 LLM_OUTPUT_INVALID) within the budget, while a bystander app keeps its latency.
 */
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { ATTACK_TOKEN, startAttackKiln, underAttack } from "./_support/attack.ts";
import {
  type CaseResult,
  fuzzFor,
  fuzzSeed,
  noServerError,
  randomJson,
  randomString,
  type Rng,
  timedFetch,
} from "./_support/fuzz.ts";

const PATTERNS = [
  "^(a+)+$",
  "^(a|a)*$",
  "(x+x+)+y",
  "^[a-z]+$",
  "^\\d{3}-\\d{4}$",
  "(.*a){25}",
  "(",
  "\\p{L}+",
  "^(?=a)a$",
  "(a)\\1",
];

function schema(rng: Rng, depth = 0): Record<string, unknown> {
  if (depth > 3 || rng.chance(0.3)) {
    return rng.pick<Record<string, unknown>>([
      { type: "string", pattern: rng.pick(PATTERNS) },
      { type: "string", minLength: rng.int(0, 5), maxLength: rng.int(0, 1_000_000) },
      { type: "number", minimum: 0 },
      { type: "integer", multipleOf: rng.pick([1, 0.1, 3]) },
      { enum: [1, "a", null] },
      { $ref: rng.pick(["#", "#/$defs/x", "other.schema.json", "https://example.com/s.json"]) },
      { type: randomString(rng) },
      { format: rng.pick(["email", "date-time", "uri", "unknown-format"]) },
      {},
    ]);
  }
  const props: Record<string, unknown> = {};
  for (let i = rng.int(0, 4); i > 0; i--) {
    props[rng.pick(["a", "b", "name", "x"])] = schema(rng, depth + 1);
  }
  return {
    type: "object",
    properties: props,
    ...(rng.chance(0.3)
      ? { patternProperties: { [rng.pick(PATTERNS)]: schema(rng, depth + 1) } }
      : {}),
    ...(rng.chance(0.3) ? { required: Object.keys(props) } : {}),
    ...(rng.chance(0.2) ? { additionalProperties: false } : {}),
    ...(rng.chance(0.2) ? { items: schema(rng, depth + 1), type: "array" } : {}),
    ...(rng.chance(0.2) ? { anyOf: [schema(rng, depth + 1), schema(rng, depth + 1)] } : {}),
    ...(rng.chance(0.2) ? { $defs: { x: schema(rng, depth + 1) } } : {}),
  };
}

function answer(rng: Rng): unknown {
  return rng.pick([
    () => ({ name: "a".repeat(rng.int(10, 40)) + "!" }),
    () => ({
      a: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
      b: 1,
      x: "xxxxxxxxxxxxxxxxxxxxxxxxx",
    }),
    () => ({ ["a".repeat(rng.int(20, 30)) + "!"]: 1 }),
    () => randomJson(rng),
  ])();
}

const app = (appId: string, id: string) => ({
  "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n`,
  "component_registry.yaml": `components:
  - componentId: ask
    handlerType: llm
    taskDetails: { promptTemplate: prompts/ask.yaml }
    routeMatcher: { pathPattern: /ask, methods: [POST] }
    limits: { timeoutMs: 3000 }
`,
  "prompts/ask.yaml": "template: 'Answer: {{ q }}'\noutputFormat: json\n" +
    "outputSchema: schemas/s.schema.json\n",
  "schemas/s.schema.json": JSON.stringify({ $id: id, type: "object" }),
});

Deno.test("fuzz: app schemas and the data checked against them never cause a server error", async () => {
  let rngForWire: Rng | null = null;
  const wire = serveWire(() =>
    json(openAiAnswer(JSON.stringify(rngForWire ? answer(rngForWire) : { ok: true })))
  );
  const kiln = await startAttackKiln({
    env: {
      KILN_LLM_PROVIDER: "openai",
      KILN_LLM_BASE_URL: `${wire.url}/v1`,
      KILN_LLM_MODEL: "stand-in",
      KILN_LLM_API_KEY_ENV: "",
    },
  });
  const auth = { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/json" };
  try {
    // Two apps share a `$id`: each must keep its own schema.
    await kiln.register(app("fuzz", "https://example.com/shared.json"));
    await kiln.register(app("other", "https://example.com/shared.json"));
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1605), ms: 10_000, minCases: 40, budgetMs: 3_000 },
        async (rng): Promise<CaseResult> => {
          rngForWire = rng;
          const s = rng.chance(0.2)
            ? { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } }
            : schema(rng);
          if (rng.chance(0.3)) s.$id = "https://example.com/shared.json";
          const put = await timedFetch("schema", `${kiln.url}/v1/apps/fuzz/definitions/file`, {
            method: "PUT",
            headers: auth,
            body: JSON.stringify({
              path: "schemas/s.schema.json",
              content: JSON.stringify(s),
              commitMessage: "fuzz",
            }),
          });
          if (put.status >= 300) return put;
          const app = rng.chance(0.8) ? "fuzz" : "other";
          const call = await timedFetch(`call ${app}`, `${kiln.url}/apps/${app}/ask`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ q: "a" }),
          });
          return { ...call, label: `call ${app} with ${JSON.stringify(s).slice(0, 200)}` };
        },
        // The caller's input is always valid: only a schema write may be refused (4xx); a call
        // answers or blames the model (502), never the caller.
        (r) =>
          r.label === "schema" ? noServerError(r) : r.status === 200 ||
            (r.status === 502 && /LLM_OUTPUT_INVALID/.test(r.body)),
      ));
    console.log(
      `fuzz schemas: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
  } finally {
    await kiln.stop();
    await wire.close();
  }
});
