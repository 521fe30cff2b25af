import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { schemaIssues, validatorFor } from "./validator.ts";

const withId = (id: string, type: string) => ({
  $id: id,
  type: "object",
  required: ["v"],
  properties: { v: { type } },
});

Deno.test("validatorFor() answers issues with JSON pointers into the value", () => {
  const v = validatorFor("a", "r1", {
    type: "object",
    properties: { items: { type: "array", items: { type: "integer" } } },
  });
  assert.deepEqual(v.validate({ items: [1, 2] }), { ok: true });
  const bad = v.validate({ items: [1, "x"] });
  assert.equal(bad.ok, false);
  assert.deepEqual(
    !bad.ok && bad.issues.map((i) => [i.pointer, i.keyword]),
    [["/items/1", "type"]],
  );
});

Deno.test("validatorFor() keeps each app's $id to itself", () => {
  const a = validatorFor("app-a", "r1", withId("https://example.com/ticket", "string"));
  const b = validatorFor("app-b", "r1", withId("https://example.com/ticket", "number"));
  assert.equal(a.validate({ v: "x" }).ok, true);
  assert.equal(b.validate({ v: 1 }).ok, true);
  assert.equal(b.validate({ v: "x" }).ok, false);
});

Deno.test("validatorFor() compiles an app's edited $id schema at its new revision", () => {
  const before = validatorFor("app-a", "r1", withId("urn:kiln:thing", "string"));
  const after = validatorFor("app-a", "r2", withId("urn:kiln:thing", "boolean"));
  assert.equal(before.validate({ v: "x" }).ok, true);
  assert.equal(after.validate({ v: true }).ok, true);
  assert.equal(after.validate({ v: "x" }).ok, false);
});

Deno.test("validatorFor() checks patterns in linear time", () => {
  const v = validatorFor("a", "r1", {
    type: "object",
    properties: { s: { type: "string", pattern: "^(a+)+$" } },
    patternProperties: { "^(x+x+)+y$": { type: "string" } },
  });
  const started = performance.now();
  assert.equal(v.validate({ s: "a".repeat(40) + "!" }).ok, false);
  assert.equal(v.validate({ s: "a".repeat(40) }).ok, true);
  assert.equal(v.validate({ ["x".repeat(40)]: 1 }).ok, true);
  assert.ok(performance.now() - started < 500, "no catastrophic backtracking");
});

Deno.test("validatorFor() stops pattern work at regex.work and reports it as an issue", () => {
  const v = validatorFor("a", "r1", { type: "array", items: { pattern: "(.*a){40}b" } });
  const check = v.validate(Array.from({ length: 50 }, () => "a".repeat(20_000)));
  assert.equal(check.ok, false);
  assert.equal(!check.ok && check.issues[0].limit, "regex.work");
});

Deno.test("validatorFor() refuses schemas over schema.bytes or schema.depth before compiling", () => {
  let deep: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 40; i++) deep = { type: "array", items: deep };
  for (
    const [schema, limit] of [[deep, "schema.depth"], [{
      enum: Array.from({ length: 40_000 }, (_, i) => `value-${i}`),
    }, "schema.bytes"]] as const
  ) {
    assert.throws(
      () => validatorFor("a", "r1", schema),
      (err: unknown) =>
        err instanceof KilnError && err.code === "LIMIT_EXCEEDED" &&
        (err.details as { limit: string }).limit === limit,
    );
  }
});

Deno.test("schemaIssues() names why a schema does not compile", () => {
  assert.deepEqual(schemaIssues({ type: "string" }), []);
  assert.match(schemaIssues({ type: "strang" })[0].message, /invalid|type/);
  assert.match(schemaIssues({ pattern: "(?=a)" })[0].message, /not supported/);
  assert.match(schemaIssues({ $ref: "other.schema.json" })[0].message, /does not resolve/);
  assert.match(
    schemaIssues({ $id: "https://example.com/a.json", $ref: "#/$defs/none" })[0].message,
    /"https:\/\/example.com\/a.json#\/\$defs\/none" does not resolve/,
  );
  assert.deepEqual(schemaIssues({ $defs: { a: { type: "string" } }, $ref: "#/$defs/a" }), []);
  assert.equal(
    schemaIssues({ $schema: "http://json-schema.org/draft-03/schema#" })[0].pointer,
    "/$schema",
  );
  assert.equal(schemaIssues([])[0].pointer, "");
});
