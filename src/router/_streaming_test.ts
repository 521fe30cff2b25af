import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import type { StreamDelta } from "../mcp/mod.ts";
import { budgeted, SseAnswer } from "./_streaming.ts";

const delta = (text: string): StreamDelta => ({ text, attempt: 1, recording: false });

Deno.test("budgeted() passes text on until its bytes cross the output budget", () => {
  const seen: string[] = [];
  const listener = budgeted((d) => seen.push(d.text), 8, "c1");
  listener(delta("héllo")); // 6 bytes
  assert.throws(() => listener(delta("abc")), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "SANDBOX_KILLED");
    assert.equal(err.status >= 500, true, "the model wrote too much: not the caller's fault");
    assert.deepEqual(err.details, { reason: "output", componentId: "c1", maxOutputBytes: 8 });
    return true;
  });
  assert.deepEqual(seen, ["héllo"]);
});

Deno.test("SseAnswer frames events; a client that leaves aborts `closed` and ends later deltas", async () => {
  const sse = new SseAnswer();
  sse.delta({ text: "a\nb", attempt: 2, recording: true });
  sse.end("result", '{"ok":true}');
  await sse.started;
  assert.equal(sse.recording, true);
  assert.equal(
    await new Response(sse.body).text(),
    'event: delta\ndata: {"text":"a\\nb","attempt":2}\n\nevent: result\ndata: {"ok":true}\n\n',
  );
  const left = new SseAnswer();
  await left.body.cancel();
  assert.equal(left.closed.aborted, true);
  assert.throws(() => left.delta(delta("late")), /already ended/);
  left.end("result", "{}");
});
