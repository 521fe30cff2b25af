import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, retryAfterMs } from "./retry_policy.ts";

Deno.test("backoffDelay() doubles per attempt, jitters within the upper half and caps", () => {
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelay(policy, 0, () => 0), 50);
  assert.equal(backoffDelay(policy, 0, () => 1), 100);
  assert.equal(backoffDelay(policy, 2, () => 1), 400);
  assert.equal(backoffDelay(policy, 9, () => 1), 1000);
  assert.equal(backoffDelay(policy, 9, () => 0), 500);
});

Deno.test("retryAfterMs() reads retry-after-ms, seconds and HTTP dates", () => {
  const now = Date.parse("2026-12-03T08:00:00Z");
  assert.equal(retryAfterMs(new Headers({ "retry-after": "2" }), now), 2000);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "0.5" }), now), 500);
  assert.equal(
    retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now),
    250,
  );
  assert.equal(
    retryAfterMs(new Headers({ "retry-after": "Thu, 03 Dec 2026 08:00:03 GMT" }), now),
    3000,
  );
  assert.equal(retryAfterMs(new Headers({ "retry-after": "soon" }), now), null);
  assert.equal(retryAfterMs(new Headers(), now), null);
});

Deno.test("isRetryableStatus() retries rate limits and server faults, not client errors", () => {
  for (const s of [408, 409, 429, 500, 502, 503, 529]) assert.ok(isRetryableStatus(s), String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.ok(!isRetryableStatus(s), String(s));
});
