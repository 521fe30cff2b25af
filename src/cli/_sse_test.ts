import assert from "node:assert/strict";
import { readEvents } from "./_sse.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

Deno.test("readEvents() yields events split across chunks, skipping comments and ids", async () => {
  const body = streamOf([
    ": keep-alive\n\nevent: st",
    'ep\nid: 1\ndata: {"stepId":',
    '"a"}\r\n\r\n',
    "data: plain\ndata: text\n\n",
    'event: run\ndata: {"status":"succeeded"}\n\n',
  ]);
  const events = [];
  for await (const e of readEvents(body)) events.push(e);
  assert.deepEqual(events, [
    { event: "step", data: { stepId: "a" } },
    { event: "message", data: "plain\ntext" },
    { event: "run", data: { status: "succeeded" } },
  ]);
});

Deno.test("readEvents() drops an event the stream cut off before its blank line", async () => {
  const events = [];
  for await (const e of readEvents(streamOf(['data: {"a":1}\n\ndata: {"b"']))) events.push(e);
  assert.deepEqual(events, [{ event: "message", data: { a: 1 } }]);
});
