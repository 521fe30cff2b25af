import assert from "node:assert/strict";
import { costUsd, priceOf } from "./pricing.ts";

const TABLE = {
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-4o*": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4o-mini-*": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
};

Deno.test("priceOf() prefers an exact name, then the longest wildcard prefix", () => {
  assert.equal(priceOf(TABLE, "gpt-4o-mini")?.inputPerMTok, 0.15);
  assert.equal(priceOf(TABLE, "gpt-4o-mini-2024-07-18")?.inputPerMTok, 0.15);
  assert.equal(priceOf(TABLE, "gpt-4o-2024-08-06")?.inputPerMTok, 2.5);
  assert.equal(priceOf(TABLE, "llama3"), null);
});

Deno.test("costUsd() charges input and output tokens per million, and unpriced calls nothing", () => {
  const usage = { promptTokens: 1000, completionTokens: 500 };
  assert.equal(costUsd(TABLE["gpt-4o*"], usage), 0.0075);
  assert.equal(costUsd(null, usage), 0);
});
