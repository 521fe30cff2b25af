import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { bundleSchema } from "./bundle.ts";
import { validatorFor } from "./validator.ts";

const FILES: Record<string, unknown> = {
  "schemas/common.schema.json": {
    $defs: {
      Priority: { type: "string", enum: ["low", "high"] },
      Tags: { type: "array", items: { $ref: "#/$defs/Tag" } },
      Tag: { type: "string", maxLength: 8 },
    },
  },
  "schemas/ticket.schema.json": {
    $id: "https://example.com/ticket",
    type: "object",
    properties: {
      priority: { $ref: "common.schema.json#/$defs/Priority" },
      tags: { $ref: "./common.schema.json#/$defs/Tags" },
      parent: { $ref: "#" },
    },
    required: ["priority"],
  },
  "schemas/alone.schema.json": { type: "object", properties: { a: { type: "integer" } } },
};
const read = (path: string) => FILES[path];

Deno.test("bundleSchema() copies the files a schema $refs into its $defs, as JSON pointers", () => {
  // deno-lint-ignore no-explicit-any -- the test indexes freely into the bundled document
  const bundled = bundleSchema("schemas/ticket.schema.json", read) as Record<string, any>;
  assert.equal(bundled.$id, undefined, "refs resolve by path, so no $id moves their base");
  assert.equal(
    bundled.properties.priority.$ref,
    "#/$defs/schemas_common.schema.json/$defs/Priority",
  );
  assert.equal(bundled.properties.parent.$ref, "#/$defs/schemas_ticket.schema.json");
  assert.equal(
    bundled.$defs["schemas_common.schema.json"].$defs.Tags.items.$ref,
    "#/$defs/schemas_common.schema.json/$defs/Tag",
    "refs inside a copied file point into its copy",
  );
  const v = validatorFor("bundle-test", "r1", bundled);
  assert.equal(v.validate({ priority: "low", tags: ["a"], parent: { priority: "high" } }).ok, true);
  const bad = v.validate({ priority: "urgent", tags: ["far too long"], parent: {} });
  assert.equal(bad.ok, false);
  assert.deepEqual(
    !bad.ok && bad.issues.map((i) => i.pointer).sort(),
    ["/parent/priority", "/priority", "/tags/0"],
  );
});

Deno.test("bundleSchema() leaves a schema without file refs as it is, and follows fragments", () => {
  assert.deepEqual(
    bundleSchema("schemas/alone.schema.json", read),
    FILES["schemas/alone.schema.json"],
  );
  const inline = { type: "object", properties: { p: { $ref: "#/$defs/P" } }, $defs: { P: {} } };
  assert.deepEqual(bundleSchema(inline, read), inline);
  assert.deepEqual(
    bundleSchema("schemas/common.schema.json#/$defs/Priority", read),
    { type: "string", enum: ["low", "high"] },
  );
  const fromInline = bundleSchema({ $ref: "schemas/common.schema.json#/$defs/Tag" }, read);
  assert.equal(
    (fromInline as Record<string, unknown>).$ref,
    "#/$defs/schemas_common.schema.json/$defs/Tag",
  );
  const tag = validatorFor("bundle-test", "r2", fromInline);
  assert.equal(tag.validate("short").ok, true);
  assert.equal(tag.validate("much too long").ok, false);
});

Deno.test("bundleSchema() names the ref that does not resolve", () => {
  const refused = (ref: string | Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => bundleSchema(ref, read), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, "VALIDATION_ERROR");
      assert.match(err.message, pattern);
      return true;
    });
  refused({ $ref: "schemas/missing.schema.json" }, /names "schemas\/missing\.schema\.json"/);
  refused("schemas/common.schema.json#/$defs/Nope", /points at nothing/);
  refused({ $ref: "../outside.json" }, /leaves state\//);
  refused({ $ref: "https://example.com/s.json" }, /relative to the schema file/);
  refused({ $ref: "schemas/common.schema.json#Priority" }, /only JSON-pointer fragments/);
});
