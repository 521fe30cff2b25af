/**
 * Fuzzes workflow expressions: random CEL from a grammar over the workflow's roots — macros
 * nested in macros, string and list functions, regexes, arithmetic at the edges — in a step's
 * input mapping and a transition, written through the API and run against random trigger input
 * (long strings, long arrays, deep values). Writing must answer without a server error; each run
 * must end (succeeded or failed, never stuck) within the budget; a bystander app keeps its
 * latency throughout.
 */
import assert from "node:assert/strict";
import { ATTACK_TOKEN, startAttackKiln, underAttack } from "./_support/attack.ts";
import {
  type CaseResult,
  fuzzFor,
  fuzzSeed,
  noServerError,
  randomJson,
  type Rng,
} from "./_support/fuzz.ts";

const REGEXES = ["^(a+)+$", "(x+x+)+y", "^[a-z]+$", "(.*a){20}", "a|b", "(", "\\\\d+", ".*"];

type Kind = "any" | "num" | "str" | "list" | "bool";

/** A random expression of roughly the given kind; `x` exists only inside macros. */
function expr(rng: Rng, kind: Kind = "any", depth = 0, inMacro = false): string {
  const leaves: Record<Kind, string[]> = {
    num: [
      "trigger.body.n",
      "1",
      "0",
      "-1",
      "9223372036854775807",
      "1e300",
      "size(trigger.body.xs)",
    ],
    str: ["trigger.body.s", "'abc'", "''", "string(trigger.body.n)"],
    list: ["trigger.body.xs", "[1, 2, 3]", "trigger.body.s.split('')", "[]"],
    bool: ["true", "false", "defined(trigger.body.missing)"],
    any: [
      "trigger.body.missing",
      "trigger.body.xs[0]",
      "trigger.body.xs[1000]",
      "trigger.body.extra",
      "{'a': 1}",
    ],
  };
  const leaf = () => {
    if (inMacro && rng.chance(0.3)) return "x";
    const k = kind === "any" ? rng.pick(["num", "str", "list", "bool", "any"] as Kind[]) : kind;
    return rng.pick(leaves[k]);
  };
  if (depth > 4 || rng.chance(0.3)) return leaf();
  const sub = (k: Kind, macro = inMacro) => expr(rng, k, depth + 1, macro);
  const forms: Record<Kind, (() => string)[]> = {
    list: [
      () => `${sub("list")}.map(x, ${sub("any", true)})`,
      () => `${sub("list")}.filter(x, ${sub("bool", true)})`,
      () => `${sub("str")}.split('${rng.pick(["", ",", "a"])}')`,
      () => `${sub("list")} + ${sub("list")}`,
      () => `[${sub("any")}, ${sub("any")}]`,
    ],
    str: [
      () => `${sub("list")}.join(${sub("str")})`,
      () => `${sub("str")} + ${sub("str")}`,
      () => `string(${sub("num")})`,
    ],
    num: [
      () => `size(${sub(rng.pick(["list", "str"] as Kind[]))})`,
      () => `${sub("num")} ${rng.pick(["+", "-", "*", "/", "%"])} ${sub("num")}`,
      () => `int(${sub("any")})`,
    ],
    bool: [
      () => `${sub("list")}.exists(x, ${sub("bool", true)})`,
      () => `${sub("list")}.all(x, ${sub("bool", true)})`,
      () => `${sub("str")}.matches('${rng.pick(REGEXES)}')`,
      () => `${sub("str")}.contains(${sub("str")})`,
      () => `${sub("num")} < ${sub("num")} || ${sub("any")} == ${sub("any")}`,
      () => `!${sub("bool")}`,
    ],
    any: [],
  };
  forms.any = [
    ...forms.list,
    ...forms.str,
    ...forms.num,
    ...forms.bool,
    () => `defined(trigger.body.missing) ? ${sub("any")} : ${sub("any")}`,
  ];
  return rng.pick(forms[kind])();
}

/** Well-typed expressions known to explode without budgets (the fuzzer's seeds). */
const HOSTILE = [
  "trigger.body.xs.exists(a, trigger.body.xs.exists(b, trigger.body.xs.exists(c, false)))",
  "size(trigger.body.xs.map(a, trigger.body.xs.map(b, trigger.body.xs))) > 0",
  "trigger.body.s.matches('^(a+)+$')",
  "trigger.body.s.matches('(x+x+)+y')",
  "size(trigger.body.s.split('').join(trigger.body.s)) > 0",
  "size(trigger.body.xs.map(a, trigger.body.s + trigger.body.s)) > 0",
];

function triggerInput(rng: Rng): unknown {
  return {
    s: rng.pick(["", "abc", "a".repeat(rng.int(10, 50_000)), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"]),
    xs: Array.from(
      { length: rng.pick([0, 3, 400, 2_000]) },
      (_, i) => rng.chance(0.8) ? i : String(i),
    ),
    n: rng.pick([0, 1, -1, 2 ** 62, 1e300]),
    extra: rng.chance(0.2) ? randomJson(rng) : null,
  };
}

Deno.test("fuzz: workflow expressions never cause a server error, a stuck run or a slow answer", async () => {
  const kiln = await startAttackKiln();
  const auth = { authorization: `Bearer ${ATTACK_TOKEN}`, "content-type": "application/json" };
  try {
    await kiln.register({
      "app_definition.yaml": "appId: fuzz\ndisplayName: fuzz\nversion: 1.0.0\n",
    });
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1604), ms: 10_000, minCases: 40, budgetMs: 3_000 },
        async (rng): Promise<CaseResult> => {
          const mapping = expr(rng);
          const condition = rng.chance(0.25) ? rng.pick(HOSTILE) : expr(rng, "bool");
          const content = `workflowId: fz
startAt: first
steps:
  first:
    type: control
    target: { subtype: formatResponse }
    inputMapping:
      data: ${JSON.stringify(mapping)}
    transitions:
      - condition: ${JSON.stringify(condition)}
        nextStep: done
      - nextStep: done
  done:
    type: control
    target: { subtype: succeed }
    end: true
`;
          const label = `data: ${mapping} | when: ${condition}`;
          const started = performance.now();
          const put = await kiln.fetch("/v1/apps/fuzz/definitions/file", {
            method: "PUT",
            headers: auth,
            body: JSON.stringify({ path: "workflows/fz.yaml", content, commitMessage: "fuzz" }),
          });
          const putBody = await put.text();
          if (put.status !== 200) {
            if (Deno.env.get("FUZZ_DEBUG")) console.log(putBody.slice(0, 200));
            return { label, status: put.status, ms: performance.now() - started, body: putBody };
          }
          const run = await kiln.fetch("/v1/apps/fuzz/workflows/fz/runs", {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ input: triggerInput(rng) }),
          });
          const runBody = await run.text();
          if (run.status >= 300) {
            return { label, status: run.status, ms: performance.now() - started, body: runBody };
          }
          const { runId } = JSON.parse(runBody);
          for (;;) {
            const got = await kiln.api("GET", `/v1/apps/fuzz/runs/${runId}`);
            const ms = performance.now() - started;
            if (got.status !== 200 || got.json.status !== "running" || ms > 3_000) {
              return {
                label,
                status: got.json?.status === "running" ? 598 : got.status,
                ms,
                body: JSON.stringify(got.json).slice(0, 400),
              };
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        noServerError,
      ));
    console.log(
      `fuzz expressions: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
    assert.ok(result.cases > 0);
  } finally {
    await kiln.stop();
  }
});
