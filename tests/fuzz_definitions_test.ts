/**
 * Fuzzes definition files written through the API: each case mutates a real definition (the
 * fuzz app's own files) as YAML text — keys duplicated or multiplied, anchors and alias bombs,
 * tags, deep flow and block nesting, long scalars, BOMs and odd Unicode, values retyped — and
 * writes it with `PUT /v1/apps/{appId}/definitions/file`. Kiln must accept or refuse each
 * with a client error, never a server error, within the budget, and keep serving the app's last
 * valid revision, while a bystander app keeps its latency.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { startAttackKiln, underAttack } from "./_support/attack.ts";
import {
  fuzzFor,
  fuzzSeed,
  noServerError,
  randomJson,
  randomString,
  type Rng,
  timedFetch,
} from "./_support/fuzz.ts";
import { ATTACK_TOKEN } from "./_support/attack.ts";

const FILES: Record<string, string> = {
  "app_definition.yaml": "appId: fuzz\ndisplayName: fuzz\nversion: 1.0.0\n" +
    "configuration:\n  greeting: hello\n",
  "component_registry.yaml": `components:
  - componentId: echo
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/echo.ts, function: echo, language: typescript }
    routeMatcher: { pathPattern: /echo, methods: [GET] }
    limits: { timeoutMs: 2000 }
  - componentId: ask
    handlerType: llm
    taskDetails: { promptTemplate: prompts/ask.yaml }
    routeMatcher: { pathPattern: /ask, methods: [POST] }
`,
  "code/echo.ts": "export function echo() { return { ok: true }; }\n",
  "prompts/ask.yaml":
    "description: ask\ntemplate: |\n  Answer {{ question }}\noutputFormat: text\n",
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
  "security_config.yaml": "apiKeys: []\n",
  "optimization_config.yaml": "rules: []\n",
  "schemas/thing.schema.json": JSON.stringify({
    type: "object",
    properties: { name: { type: "string", pattern: "^[a-z]+$" } },
  }),
};

/** One textual mutation of YAML (or JSON) text. */
function mutate(rng: Rng, text: string): string {
  const lines = text.split("\n");
  switch (rng.int(0, 11)) {
    case 0: { // many keys
      const n = rng.int(100, 40_000);
      return text + "\nextra:\n" + Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join("\n");
    }
    case 1: { // duplicate a line
      const at = rng.int(0, lines.length - 1);
      lines.splice(at, 0, lines[at]);
      return lines.join("\n");
    }
    case 2: { // alias bomb
      const levels = rng.int(3, 12);
      let y = `a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n`;
      for (let i = 1; i < levels; i++) {
        y += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
      }
      return text + "\n" + y;
    }
    case 3: { // many anchors
      const n = rng.int(100, 20_000);
      return text + "\nanchors:\n" +
        Array.from({ length: n }, (_, i) => `  - &x${i} ${i}`).join("\n");
    }
    case 4: // deep flow nesting
      return text + `\ndeep: ${"[".repeat(rng.int(100, 400_000))}${"]".repeat(rng.int(0, 10))}\n`;
    case 5: { // deep block nesting
      const d = rng.int(50, 2_000);
      return text + "\nnest:\n" +
        Array.from({ length: d }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n") +
        " 1\n";
    }
    case 6: // tags
      return text +
        `\n${
          rng.pick([
            "bin: !!binary aGVsbG8=",
            "set: !!set {a, b}",
            "ts: !!timestamp 2001-12-14",
            "fn: !!js/function 'x'",
            "? [a, b]\n: c",
            "1: one",
          ])
        }\n`;
    case 7: // a long scalar
      return text + `\nlong: "${"x".repeat(rng.int(1_000, 2_000_000))}"\n`;
    case 8: // BOMs and odd characters
      return rng.pick(["\ufeff", "\ufeff\ufeff", "\u202e", "\t", "\u0000"]) + text;
    case 9: { // a line replaced by noise
      lines[rng.int(0, lines.length - 1)] = randomString(rng);
      return lines.join("\n");
    }
    case 10: // a value retyped
      return text.replace(/: [^\n]+/, `: ${JSON.stringify(randomJson(rng))}`);
    default: {
      const value = randomJson(rng);
      try {
        return stringify(value);
      } catch {
        return JSON.stringify(value); // too deep for the YAML writer; JSON is YAML too
      }
    }
  }
}

Deno.test("fuzz: definition files never cause a server error or a slow answer", async () => {
  const kiln = await startAttackKiln();
  try {
    await kiln.register(FILES);
    const paths = [...Object.keys(FILES).filter((p) => !p.startsWith("code/")), "other.yaml"];
    const { result } = await underAttack(kiln, () =>
      fuzzFor(
        { seed: fuzzSeed(1603), ms: 10_000, minCases: 60, budgetMs: 2_000 },
        async (rng) => {
          const path = rng.pick(paths);
          let content = FILES[path] ?? "a: 1\n";
          for (let i = rng.int(1, 3); i > 0; i--) content = mutate(rng, content);
          return await timedFetch(
            `${path} (${content.length} chars)`,
            `${kiln.url}/v1/apps/fuzz/definitions/file`,
            {
              method: "PUT",
              headers: {
                authorization: `Bearer ${ATTACK_TOKEN}`,
                "content-type": "application/json",
              },
              body: JSON.stringify({ path, content, commitMessage: "fuzz" }),
            },
          );
        },
        noServerError,
      ));
    console.log(
      `fuzz definitions: ${result.cases} cases, slowest ${result.slowest.toFixed(0)} ms, statuses ${
        JSON.stringify(result.statuses)
      }`,
    );
    // The fuzz may have changed the app for real (a valid file is a valid edit); it still has a
    // status and serves its last valid revision.
    const status = await kiln.api("GET", "/v1/apps/fuzz/status");
    assert.ok(["ACTIVE", "DEGRADED"].includes(status.json.status), JSON.stringify(status.json));
  } finally {
    await kiln.stop();
  }
});
