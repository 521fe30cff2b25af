import assert from "node:assert/strict";
import { parseSse, type SseEvent } from "./_sse.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(stream)) out.push(e);
  return out;
}

Deno.test("parseSse() joins data lines, names events and skips comments", async () => {
  const events = await collect(streamOf(
    ": keep-alive\n\n",
    'event: content_block_delta\ndata: {"a":\n',
    "data: 1}\n\n",
    "data: [DONE]\n\n",
  ));
  assert.deepEqual(events, [
    { event: "content_block_delta", data: '{"a":\n1}' },
    { event: "message", data: "[DONE]" },
  ]);
});

Deno.test("parseSse() handles CRLF and events split across chunks, mid-line and mid-CRLF", async () => {
  const events = await collect(streamOf("da", "ta: one\r", "\n\r\ndata:two", "\r\n", "\r\n"));
  assert.deepEqual(events.map((e) => e.data), ["one", "two"]);
});

Deno.test("parseSse() yields a last event that the stream ended without a blank line", async () => {
  assert.deepEqual((await collect(streamOf("data: tail"))).map((e) => e.data), ["tail"]);
});
