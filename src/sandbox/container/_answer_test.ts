import assert from "node:assert/strict";
import { KilnError } from "../../core/mod.ts";
import { DEFAULT_LIMITS } from "../tier.ts";
import { executeRequest, guestCode, RecordingHost } from "../tier_common_case.ts";
import { executeResponse, killError, MAX_DEPTH, readExecuteAnswer } from "./_answer.ts";

const job = (host = new RecordingHost()) => ({
  request: executeRequest("ans"),
  code: guestCode("return 1;", "esm"),
  limits: DEFAULT_LIMITS,
  host,
});
const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
const depthKill = (err: unknown) => {
  assert.ok(err instanceof KilnError);
  assert.equal(err.code, "SANDBOX_KILLED");
  const details = err.details as { reason?: string; limit?: string };
  assert.deepEqual([details.reason, details.limit], ["output", "json.depth"]);
  assert.match(err.message, /nested more than 128 levels deep/);
  return true;
};

Deno.test("readExecuteAnswer() refuses an answer nesting past json.depth without parsing it", () => {
  const started = performance.now();
  const text = `{"resultType":"generic","data":${nested(6 << 20)}}`;
  assert.throws(() => readExecuteAnswer(job(), text), depthKill);
  assert.ok(performance.now() - started < 500, "the refusal read the whole answer");
  const deepest = `{"resultType":"generic","data":${nested(MAX_DEPTH)}}`;
  assert.equal(readExecuteAnswer(job(), deepest).resultType, "generic");
  const over = `{"resultType":"generic","data":${nested(MAX_DEPTH + 1)}}`;
  assert.throws(() => readExecuteAnswer(job(), over), depthKill);
  const fields = `{"data":1,"logs":[{"fields":{"f":${nested(MAX_DEPTH - 3)}}}]}`;
  assert.equal(readExecuteAnswer(job(), fields).data, 1);
  assert.deepEqual(readExecuteAnswer(job(), "not json").error, {
    code: "BAD_GATEWAY",
    message: "not json",
  });
});

Deno.test("executeResponse() hands logs to the host and keeps only the response", () => {
  const host = new RecordingHost();
  const res = executeResponse(job(host), {
    resultType: "generic",
    data: { ok: true },
    logs: [
      { level: "info", message: "one", fields: { n: 1 }, source: "sdk" },
      { level: "warn", message: "two", fields: "not an object", source: "console" },
    ],
    recycle: "x",
  }, performance.now());
  assert.deepEqual(res.data, { ok: true });
  assert.equal("logs" in res || "recycle" in res, false);
  assert.deepEqual(host.logs.map((l) => l.message), ["one", "two"]);
});

Deno.test("killError() names the component and the limit it broke", () => {
  const err = killError(job(), "memory", "grew", { governedBy: "component" });
  assert.equal(err.code, "SANDBOX_KILLED");
  assert.match(err.message, /"ans\/c" exceeded its 128 MB memory limit/);
  assert.equal(killError(job(), "timeout", "").code, "EXECUTION_TIMEOUT");
  assert.equal((killError(job(), "weird", "").details as { reason: string }).reason, "crash");
});
