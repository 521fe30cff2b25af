import assert from "node:assert/strict";
import { redactPair } from "./_redact.ts";

Deno.test("redactPair() masks credentials by shape and by field name, whatever the rules", () => {
  const { input, output } = redactPair(
    {
      note: "use Bearer abcdefghijklmnop and sk-proj-ABCDEFGHIJKLMNOPQRST please",
      nested: { apiKey: "hunter2", password: "", list: ["kiln_abcdef123456_secretsecret"] },
      Authorization: "Basic Zm9vOmJhcg==",
    },
    "AKIAABCDEFGHIJKLMNOP",
    [],
  );
  assert.deepEqual(input, {
    note: "use [redacted] and [redacted] please",
    nested: { apiKey: "[redacted]", password: "", list: ["[redacted]"] },
    Authorization: "[redacted]",
  });
  assert.equal(output, "[redacted]");
});

Deno.test("redactPair() applies the app's path and pattern rules without touching the caller's values", () => {
  const original = { customer: { email: "ann@example.com", name: "Ann" }, text: "call 555-0100" };
  const { input, output } = redactPair(original, { reply: "mail ann@example.com" }, [
    { path: "input.customer.email", replacement: "<email>" },
    { pattern: "[a-z]+@example\\.com", flags: "i", replacement: "<email>" },
    { pattern: "\\d{3}-\\d{4}", flags: "", replacement: "<phone>" },
  ]);
  assert.deepEqual(input, { customer: { email: "<email>", name: "Ann" }, text: "call <phone>" });
  assert.deepEqual(output, { reply: "mail <email>" });
  assert.equal(original.customer.email, "ann@example.com");
});
