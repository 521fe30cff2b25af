import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { parseOutput } from "./output_parsing.ts";

function code(fn: () => unknown, expected: string, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, expected, err.message);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("parseOutput() parses yaml and xml answers and enforces the schema", () => {
  const schema = {
    type: "object",
    required: ["urgency"],
    properties: { urgency: { enum: ["low"] } },
  };
  assert.deepEqual(parseOutput("yaml", "```yaml\nurgency: low\n```", schema), { urgency: "low" });
  assert.equal(parseOutput("xml", "<a>1</a>"), "<a>1</a>");
  assert.equal(parseOutput("text", "hello"), "hello");
  code(
    () => parseOutput("yaml", "urgency: high", schema),
    "LLM_OUTPUT_INVALID",
    /"urgency: high".*\/urgency/,
  );
  code(() => parseOutput("json", { urgency: 3 }, schema), "LLM_OUTPUT_INVALID", /allowed values/);
  code(() => parseOutput("xml", "no tags here"), "LLM_OUTPUT_INVALID", /not an XML document/);
  code(() => parseOutput("yaml", "a: [", schema), "LLM_OUTPUT_INVALID", /not YAML/);
});
