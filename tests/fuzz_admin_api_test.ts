/**
 * Fuzzes every `/v1` operation that takes a JSON body, as `/openapi.json` describes it: bodies
 * shaped by the operation's schema and then mutated (dropped, retyped, hostile values, deep
 * nesting, long strings), path parameters pointing at a fuzz app. Kiln must answer each with a
 * client error or success — never a server error — within the budget, while a bystander app
 * keeps its latency.
 */
import { ATTACK_TOKEN, startAttackKiln, underAttack } from "./_support/attack.ts";
import {
  fromSchema,
  fuzzFor,
  fuzzSeed,
  noServerError,
  randomString,
  timedFetch,
} from "./_support/fuzz.ts";

const FUZZ_APP = {
  "app_definition.yaml": "appId: fuzz\ndisplayName: fuzz\nversion: 1.0.0\n",
  "component_registry.yaml": `components:
  - componentId: echo
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/echo.ts, function: echo, language: typescript }
    routeMatcher: { pathPattern: /echo, methods: [POST] }
`,
  "code/echo.ts": "export function echo(req: { httpDetails?: { body?: string } }) {\n" +
    "  return { length: req.httpDetails?.body?.length ?? 0 };\n}\n",
  "workflows/flow.yaml": `workflowId: flow
startAt: first
steps:
  first:
    type: control
    target: { subtype: formatResponse }
    inputMapping:
      data: "defined(trigger.x) ? trigger.x : 'none'"
    end: true
`,
};

const PARAMS: Record<string, string[]> = {
  appId: ["fuzz", "fuzz", "fuzz", "nope"],
  componentId: ["echo", "nope"],
  workflowId: ["flow", "nope"],
  key: ["k1", "a.b", "x"],
  keyId: ["abc"],
  runId: ["r1"],
  generationId: ["g1"],
};

Deno.test("fuzz: /v1 JSON bodies never cause a server error or a slow answer", async () => {
  const kiln = await startAttackKiln();
  try {
    await kiln.register(FUZZ_APP);
    const doc = (await kiln.api("GET", "/openapi.json")).json;
    const ops: { method: string; path: string; schema: unknown }[] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(methods as Record<string, Record<string, never>>)) {
        // deno-lint-ignore no-explicit-any
        const schema = (op as any).requestBody?.content?.["application/json"]?.schema;
        if (schema) ops.push({ method: method.toUpperCase(), path, schema });
      }
    }
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1601), ms: 8_000, minCases: ops.length * 3, budgetMs: 2_000 },
        (rng, i) => {
          const op = ops[i % ops.length];
          const path = op.path.replace(
            /\{(\w+)\}/g,
            (_, name) =>
              encodeURIComponent(
                (rng.chance(0.05) ? randomString(rng) || "x" : rng.pick(PARAMS[name] ?? ["x"]))
                  .toWellFormed(),
              ),
          );
          const body = rng.chance(0.05)
            ? randomString(rng) // not even JSON
            : JSON.stringify(fromSchema(rng, op.schema, doc));
          return timedFetch(`${op.method} ${path}`, `${kiln.url}${path}`, {
            method: op.method,
            headers: {
              authorization: `Bearer ${ATTACK_TOKEN}`,
              "content-type": "application/json",
            },
            body,
          });
        },
        noServerError,
      ));
    console.log(
      `fuzz /v1: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
  } finally {
    await kiln.stop();
  }
});
