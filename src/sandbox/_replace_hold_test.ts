import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { ReplaceHold, replaceHoldMs } from "./_replace_hold.ts";

Deno.test("replaceHoldMs: the first replacement at once, then doubling from 500 ms to 10 s", () => {
  assert.deepEqual([1, 2, 3, 4, 6, 7, 20].map(replaceHoldMs), [
    0,
    500,
    1_000,
    2_000,
    8_000,
    10_000,
    10_000,
  ]);
});

Deno.test("ReplaceHold: replacements more than a minute apart start a new streak", () => {
  const hold = new ReplaceHold();
  hold.replaced(1_000);
  assert.equal(hold.refusal("isolate", "host", 1_000), null, "the first at once");
  hold.replaced(2_000);
  const refused = hold.refusal("isolate", "isolate host", 2_100);
  assert.ok(refused instanceof KilnError);
  assert.equal(refused.code, "OVERLOADED");
  assert.match(refused.message, /isolate host was replaced 2 times in a row.*in 400 ms/);
  assert.deepEqual(refused.details, { tier: "isolate", retryAfterMs: 400 });
  assert.equal(hold.refusal("isolate", "host", 2_500), null);
  hold.replaced(70_000);
  assert.equal(hold.streak, 1);
  assert.equal(hold.refusal("isolate", "host", 70_000), null);
});
