import assert from "node:assert/strict";
import { type Cassette, parseCassette, requestKey } from "./cassette.ts";
import { OpenAiProvider } from "./openai_provider.ts";
import { RecordingProvider } from "./recording_provider.ts";
import { ReplayProvider } from "./replay_provider.ts";
import { fakeTimers, json, openAiAnswer, serveWire, sse } from "./_test_support.ts";
import type { ProviderRequest, StreamEvent } from "./types.ts";

const REQ: ProviderRequest = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  parameters: {},
  format: { type: "text" },
};

async function cassette(chunks?: { text: string; atMs: number }[]): Promise<Cassette> {
  return parseCassette({
    kind: "kiln.llm.cassette",
    version: 1,
    recorded: true,
    name: "t",
    provenance: { source: "openai m", recordedAt: "2026-12-03T00:00:00Z" },
    entries: [{
      key: await requestKey(REQ),
      request: REQ,
      result: {
        text: "Hello there, friend",
        usage: { promptTokens: 1, completionTokens: 3 },
        model: "m",
        finishReason: "stop",
      },
      latencyMs: 500,
      ...(chunks ? { chunks } : {}),
      recordedAt: "2026-12-03T00:00:00Z",
    }],
  });
}

const CHUNKS = [
  { text: "Hello", atMs: 100 },
  { text: " there,", atMs: 250 },
  { text: " friend", atMs: 400 },
];

/** Drains a stream on fake time, noting the fake time each delta came at. */
async function timed(
  events: AsyncIterable<StreamEvent>,
  clock: ReturnType<typeof fakeTimers>["clock"],
): Promise<{ text: string; at: number }[]> {
  const start = clock.now;
  const out: { text: string; at: number }[] = [];
  const it = events[Symbol.asyncIterator]();
  for (;;) {
    const next = it.next();
    // Advance fake time only while the stream waits on it.
    let settled = false;
    next.finally(() => settled = true);
    while (!settled) {
      if (clock.countTimers() > 0) await clock.tickAsync(1);
      else await new Promise((r) => setTimeout(r, 1)); // real work (hashing) in progress
    }
    const { value, done } = await next;
    if (done) return out;
    if (value.type === "delta") out.push({ text: value.text, at: clock.now - start });
    else assert.equal(value.result.provenance.kind, "recording");
  }
}

Deno.test("ReplayProvider.stream() replays recorded chunks at their recorded times", async () => {
  const { clock, timers } = fakeTimers();
  const replay = new ReplayProvider([await cassette(CHUNKS)], { timers });
  const got = await timed(replay.stream(REQ), clock);
  assert.deepEqual(got.map((d) => d.text), CHUNKS.map((c) => c.text));
  for (const [i, d] of got.entries()) {
    assert.ok(d.at >= CHUNKS[i].atMs && d.at <= CHUNKS[i].atMs + 1, `${d.at} vs ${CHUNKS[i].atMs}`);
  }
});

Deno.test("ReplayProvider.stream() scales the timing by its speed; 0 waits not at all", async () => {
  const { clock, timers } = fakeTimers();
  const fast = new ReplayProvider([await cassette(CHUNKS)], { timers, speed: 4 });
  const got = await timed(fast.stream(REQ), clock);
  assert.ok(got[2].at >= 100 && got[2].at <= 101, `last chunk at ${got[2].at} ms, not 400 / 4`);
  const instant = new ReplayProvider([await cassette(CHUNKS)], { timers, speed: 0 });
  const start = clock.now;
  const pieces: string[] = [];
  for await (const e of instant.stream(REQ)) if (e.type === "delta") pieces.push(e.text);
  assert.equal(pieces.join(""), "Hello there, friend");
  assert.equal(clock.now, start, "no fake time passed");
});

Deno.test("ReplayProvider.stream() of an entry recorded without chunks yields word pieces", async () => {
  const replay = new ReplayProvider([await cassette()]);
  const pieces: string[] = [];
  for await (const e of replay.stream(REQ)) if (e.type === "delta") pieces.push(e.text);
  assert.deepEqual(pieces, ["Hello ", "there, ", "friend"]);
});

Deno.test("RecordingProvider.stream() records each chunk with when it came, and keeps it", async () => {
  const server = serveWire((r) =>
    r.body.stream
      ? sse([
        { data: { choices: [{ delta: { content: "Hel" } }] } },
        { data: { choices: [{ delta: { content: "lo" }, finish_reason: "stop" }] } },
        { data: "[DONE]" },
      ])
      : json(openAiAnswer("Hello"))
  );
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.cassette.json`;
    const live = new OpenAiProvider({ baseUrl: `${server.url}/v1` });
    const rec = new RecordingProvider(live, { path, name: "c", source: "openai m" });
    for await (const _ of rec.stream(REQ)) { /* drain */ }
    // A plain call of the same request, answered the same, keeps the streamed timing.
    assert.equal((await rec.complete(REQ)).text, "Hello");
    const saved = parseCassette(JSON.parse(await Deno.readTextFile(path)));
    const chunks = saved.entries[0].chunks!;
    assert.deepEqual(chunks.map((c) => c.text), ["Hel", "lo"]);
    assert.ok(chunks[0].atMs >= 0 && chunks[1].atMs >= chunks[0].atMs);
    const replay = new ReplayProvider([saved], { speed: 0 });
    const pieces: string[] = [];
    for await (const e of replay.stream(REQ)) if (e.type === "delta") pieces.push(e.text);
    assert.deepEqual(pieces, ["Hel", "lo"]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
