import assert from "node:assert/strict";
import { answerCall, forwardLog } from "./_guest_io.ts";
import { RecordingHost } from "./tier_common_case.ts";

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

Deno.test("answerCall() refuses parameters nested past json.depth without calling the tool", async () => {
  const host = new RecordingHost();
  const reply = JSON.parse(await answerCall(host, "core.state.getRuntimeValue", deep(5000)));
  assert.equal(reply.ok, false);
  assert.equal(reply.code, "LIMIT_EXCEEDED");
  assert.match(reply.message, /deeper than 128 levels/);
  assert.deepEqual(host.calls, []);
  const ok = JSON.parse(await answerCall(host, "core.state.getRuntimeValue", '{"key":"abc"}'));
  assert.deepEqual(ok, { ok: true, value: { found: true, value: 3 } });
});

Deno.test("forwardLog() replaces log fields nested past json.depth with a note", () => {
  const fields: unknown[] = [];
  const host = new RecordingHost();
  host.log = (_level, _message, f) => void fields.push(f);
  forwardLog(host, {
    level: "info",
    message: "deep",
    fields: `{"a":${deep(5000)}}`,
    source: "sdk",
  });
  forwardLog(host, { level: "info", message: "flat", fields: '{"a":1}', source: "sdk" });
  assert.deepEqual(fields, [{ fields: "nested deeper than 128 levels" }, { a: 1 }]);
});

Deno.test("answerCall() refuses a call frame whose tool or parameters are not text", async () => {
  const host = new RecordingHost();
  for (
    const [tool, params] of [[{ name: "x" }, undefined], ["core.state.getRuntimeValue", { a: 1 }]]
  ) {
    const reply = JSON.parse(await answerCall(host, tool as string, params as string));
    assert.deepEqual([reply.ok, reply.code], [false, "BAD_REQUEST"]);
  }
  assert.deepEqual(host.calls, []);
});
