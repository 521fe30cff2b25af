import assert from "node:assert/strict";
import { KilnError, RegexMeter } from "../core/mod.ts";
import { compileRules, redactPair } from "./_redact.ts";

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

Deno.test("redactPair() masks credentials in linear time, even in text built to backtrack", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6y";
  const adversarial = "-eyJ".repeat(20_000);
  const started = performance.now();
  const { input } = redactPair({ notes: adversarial, token2: `x ${jwt} y` }, null, []);
  assert.ok(performance.now() - started < 500, "no quadratic scan");
  assert.deepEqual(input, { notes: adversarial, token2: "x [redacted] y" });
});

Deno.test("redactPair() stops at the regex budget instead of scanning on", () => {
  const rules = [{ pattern: "(.*a){20}b", flags: "", replacement: "x" }];
  assert.throws(
    () => redactPair({ text: "a".repeat(100_000) }, null, rules, new RegexMeter()),
    (err: unknown) =>
      err instanceof KilnError && (err.details as { limit: string }).limit === "regex.work",
  );
});

Deno.test("redactPair() refuses app patterns only a backtracking engine could run", () => {
  assert.throws(
    () => compileRules([{ pattern: "(a)\\1", flags: "", replacement: "x" }]),
    (err: unknown) => err instanceof KilnError && err.code === "VALIDATION_ERROR",
  );
});

Deno.test("redactPair() masks values nested too deep to walk", () => {
  let deep: unknown = "Bearer abcdefghijklmnop";
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.ok(!JSON.stringify(redactPair(deep, null, []).input).includes("abcdefgh"));
});
