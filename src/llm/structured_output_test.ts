import assert from "node:assert/strict";
import { checkJson, stripFence, withInstruction } from "./structured_output.ts";

const SCHEMA = {
  type: "object",
  properties: { category: { enum: ["billing", "technical"] } },
  required: ["category"],
  additionalProperties: false,
};
const SCOPE = { appId: "a", revision: "r1" };

Deno.test("checkJson() accepts fenced JSON that satisfies the schema", () => {
  assert.deepEqual(checkJson('```json\n{"category":"billing"}\n```', SCHEMA, SCOPE), {
    ok: true,
    value: { category: "billing" },
  });
  assert.equal(stripFence("  plain  "), "plain");
});

Deno.test("checkJson() names the path and rule an answer breaks", () => {
  const bad = checkJson('{"category":"cooking","extra":1}', SCHEMA, SCOPE);
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.ok(bad.issues.some((i) => i.path === "/category" && /allowed values/.test(i.message)));
  assert.ok(bad.issues.some((i) => /additional properties/.test(i.message)));
  const prose = checkJson("Sure! Here it is.", SCHEMA, SCOPE);
  assert.ok(!prose.ok && /not JSON/.test(prose.issues[0].message));
});

Deno.test("withInstruction() extends the system turn with the schema, or adds one", () => {
  const format = { type: "json_schema" as const, schema: SCHEMA };
  const [sys] = withInstruction([{ role: "system", content: "Triage." }, {
    role: "user",
    content: "x",
  }], format);
  assert.match(sys.content, /^Triage\.\n\nAnswer with a single JSON value[\s\S]*"billing"/);
  const added = withInstruction([{ role: "user", content: "x" }], { type: "json" });
  assert.equal(added[0].role, "system");
  assert.equal(added.length, 2);
  assert.equal(withInstruction([{ role: "user", content: "x" }], { type: "text" }).length, 1);
});
