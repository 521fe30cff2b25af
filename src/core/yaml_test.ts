import assert from "node:assert/strict";
import { LIMITS } from "./limits.ts";
import {
  parseYamlDocument,
  parseYamlValue,
  parseYamlValueAsync,
  yamlValueOrThrow,
  yamlValueOrThrowAsync,
} from "./yaml.ts";
import { KilnError } from "./errors/mod.ts";

/** The best of a few runs, in ms: CI machines are shared, the first run also compiles. */
function fastest(run: () => void, times = 3): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function limitOf(text: string): string | undefined {
  return parseYamlValue(text).problems[0]?.limit;
}

Deno.test("parseYamlValue() reads ordinary definitions, anchors and aliases included", () => {
  const text = "base: &b {runtime: isolate}\ncomponents:\n  - {componentId: a, <<: 1}\n" +
    "  - componentId: b\n    defaults: *b\nnote: |\n  two\n  lines\n";
  assert.deepEqual(parseYamlValue(text), {
    value: {
      base: { runtime: "isolate" },
      components: [{ componentId: "a", "<<": 1 }, {
        componentId: "b",
        defaults: { runtime: "isolate" },
      }],
      note: "two\nlines\n",
    },
    problems: [],
  });
  assert.deepEqual(parseYamlValue(""), { value: undefined, problems: [] });
});

Deno.test("parseYamlValue() refuses a 400,000-deep list at yaml.depth in a few ms", () => {
  const blocks = "- ".repeat(400_000) + "x\n";
  const flow = "[".repeat(400_000) + "]".repeat(400_000);
  for (const text of [blocks, flow]) {
    assert.equal(limitOf(text), "yaml.depth");
    assert.ok(fastest(() => parseYamlValue(text)) < 50, "refused before the nesting is built");
  }
  const ok = "[".repeat(LIMITS["yaml.depth"] - 1) + "]".repeat(LIMITS["yaml.depth"] - 1);
  assert.deepEqual(parseYamlValue(ok).problems, []);
});

Deno.test("parseYamlValue() refuses a file past yaml.tokens, having read only that far", () => {
  const keys = Array.from({ length: 40_000 }, (_, i) => `k${i}: ${i}`).join("\n");
  const lines = "\n".repeat(1 << 20);
  for (const text of [keys, lines]) {
    const { problems } = parseYamlValue(text);
    assert.equal(problems[0].limit, "yaml.tokens");
    assert.equal(typeof problems[0].line, "number");
  }
});

Deno.test("parseYamlValue() finds a duplicate among thousands of keys with a Set", () => {
  const keys = Array.from({ length: 2_000 }, (_, i) => `k${i}: ${i}`);
  const text = [...keys, "k7: again"].join("\n");
  const { problems } = parseYamlValue(text);
  assert.match(problems[0].message, /duplicate key "k7"/);
  assert.equal(problems[0].line, 2_001);
  assert.match(parseYamlValue("'1': a\n'1': b\n").problems[0].message, /duplicate key "1"/);
  // A key that is not a string would become a JavaScript property another key may also be.
  assert.match(parseYamlValue("1: a\n").problems[0].message, /keys must be strings/);
  assert.match(parseYamlValue("[a]: 1\n").problems[0].message, /plain values/);
});

Deno.test("parseYamlValue() bounds anchors, aliases and what aliases expand to", () => {
  const anchors = Array.from({ length: 20_000 }, (_, i) => `- &a${i} ${i}`).join("\n");
  assert.equal(limitOf(anchors), "yaml.aliases");
  assert.ok(fastest(() => parseYamlValue(anchors)) < 50);
  const aliases = "a: &a 1\nb: [" + Array(LIMITS["yaml.aliases"] + 1).fill("*a").join(",") + "]\n";
  assert.equal(limitOf(aliases), "yaml.aliases");
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'].concat(
    "bcdefg".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdef"[i]}`).join(",")}]`),
  ).join("\n");
  assert.equal(limitOf(bomb), "yaml.aliases");
});

Deno.test("parseYamlValue() refuses text over definition.bytes before lexing it", () => {
  const big = "a: " + "x".repeat(LIMITS["definition.bytes"]);
  assert.equal(limitOf(big), "definition.bytes");
  assert.equal(parseYamlValue("a: xx", { bytes: 4 }).problems[0].limit, "definition.bytes");
});

Deno.test("parseYamlValue() reports the first syntax errors with their line, not thousands", () => {
  const garbage = Array.from({ length: 3_000 }, () => "[[[1]]]").join("\n");
  const { problems } = parseYamlValue(garbage);
  assert.ok(problems.length > 0 && problems.length <= 5, `${problems.length} problems`);
  assert.equal(problems[0].line, 2);
  assert.match(parseYamlValue("a: 1\n---\nb: 2\n").problems[0].message, /multiple/);
  assert.match(parseYamlValue("a: !!js/function x\n").problems[0].message, /tag/i);
});

Deno.test("yamlValueOrThrow() names the file and the budget", () => {
  try {
    yamlValueOrThrow("[".repeat(1000), "state/x.yaml");
    assert.fail("accepted");
  } catch (err) {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "LIMIT_EXCEEDED");
    assert.equal((err.details as { limit: string }).limit, "yaml.depth");
    assert.match(err.message, /state\/x\.yaml/);
  }
  assert.throws(() => yamlValueOrThrow("a: [", "x.yaml"), /VALIDATION|not valid YAML/);
});

Deno.test("parseYamlDocument() keeps documents editable (comments survive toString)", () => {
  const { doc } = parseYamlDocument("# keys\napiKeys: []  # none yet\n");
  assert.ok(doc);
  assert.equal(doc.toString(), "# keys\napiKeys: [] # none yet\n");
});

Deno.test("parseYamlValueAsync() answers as the sync parse and yields the event loop meanwhile", async () => {
  const big = Array.from({ length: 2_000 }, (_, i) => `k${i}: [${i}, x]`).join("\n");
  const bomb = Array.from({ length: 40_000 }, (_, i) => `k${i}: ${i}`).join("\n");
  for (const text of [big, bomb, "a: [", "- ".repeat(10_000) + "x", ""]) {
    assert.deepEqual(await parseYamlValueAsync(text), parseYamlValue(text));
  }
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    for (let i = 0; i < 3; i++) await parseYamlValueAsync(bomb);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 0, "timers ran while the bombs were scanned");
  await assert.rejects(yamlValueOrThrowAsync(bomb, "x.yaml"), /yaml\.tokens|more than/);
});
