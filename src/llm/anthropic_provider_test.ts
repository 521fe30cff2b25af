import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { AnthropicProvider } from "./anthropic_provider.ts";
import { fakeTimers, json, serveWire, sse } from "./_test_support.ts";
import type { ProviderRequest, StreamEvent } from "./types.ts";

const REQ: ProviderRequest = {
  model: "claude-test",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Example in" },
    { role: "assistant", content: "Example out" },
    { role: "user", content: "Part one" },
    { role: "user", content: "Part two" },
  ],
  parameters: { temperature: 0.2 },
  format: { type: "text" },
};

const ANSWER = {
  id: "msg_test",
  type: "message",
  role: "assistant",
  model: "claude-test",
  content: [{ type: "text", text: "Hel" }, { type: "text", text: "lo" }],
  stop_reason: "end_turn",
  usage: { input_tokens: 20, output_tokens: 3 },
};

Deno.test("AnthropicProvider.complete() maps system turns, merges roles and reads usage", async () => {
  const server = serveWire(() => json(ANSWER));
  try {
    const p = new AnthropicProvider({ baseUrl: `${server.url}/v1`, apiKey: "ak-test" });
    const result = await p.complete(REQ);
    const seen = server.seen[0];
    assert.equal(seen.path, "/v1/messages");
    assert.equal(seen.headers.get("x-api-key"), "ak-test");
    assert.equal(seen.headers.get("anthropic-version"), "2023-06-01");
    assert.deepEqual(seen.body, {
      model: "claude-test",
      temperature: 0.2,
      max_tokens: 1024,
      system: "Be brief.",
      messages: [
        { role: "user", content: "Example in" },
        { role: "assistant", content: "Example out" },
        { role: "user", content: "Part one\n\nPart two" },
      ],
    });
    assert.deepEqual(result, {
      text: "Hello",
      usage: { promptTokens: 20, completionTokens: 3 },
      model: "claude-test",
      finishReason: "end_turn",
      provenance: { kind: "live", provider: "anthropic" },
    });
  } finally {
    await server.close();
  }
});

Deno.test("AnthropicProvider.stream() follows message_start, deltas and message_delta", async () => {
  const server = serveWire(() =>
    sse([
      {
        event: "message_start",
        data: {
          type: "message_start",
          message: { model: "claude-test", usage: { input_tokens: 9, output_tokens: 1 } },
        },
      },
      { event: "ping", data: { type: "ping" } },
      { event: "content_block_start", data: { type: "content_block_start", index: 0 } },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", delta: { type: "text_delta", text: "Hi" } },
      },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", delta: { type: "text_delta", text: " there" } },
      },
      {
        event: "message_delta",
        data: {
          type: "message_delta",
          delta: { stop_reason: "end_turn" },
          usage: { output_tokens: 4 },
        },
      },
      { event: "message_stop", data: { type: "message_stop" } },
    ])
  );
  try {
    const events: StreamEvent[] = [];
    const p = new AnthropicProvider({ baseUrl: server.url });
    for await (const e of p.stream(REQ)) events.push(e);
    assert.equal(server.seen[0].body.stream, true);
    assert.deepEqual(events.filter((e) => e.type === "delta").map((e) => e.text), ["Hi", " there"]);
    assert.deepEqual(events.at(-1), {
      type: "done",
      result: {
        text: "Hi there",
        usage: { promptTokens: 9, completionTokens: 4 },
        model: "claude-test",
        finishReason: "end_turn",
        provenance: { kind: "live", provider: "anthropic" },
      },
    });
  } finally {
    await server.close();
  }
});

Deno.test("AnthropicProvider retries 529 overloaded, then reports a mid-stream error event", async () => {
  const { clock, timers } = fakeTimers();
  const server = serveWire((_r, i) =>
    i === 0
      ? json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, 529)
      : sse([{
        event: "error",
        data: { type: "error", error: { type: "overloaded_error", message: "Overloaded later" } },
      }])
  );
  try {
    const p = new AnthropicProvider({
      baseUrl: server.url,
      timers,
      random: () => 0,
      onRetry: (r) => queueMicrotask(() => clock.tickAsync(r.delayMs)),
    });
    const drain = async () => {
      for await (const _ of p.stream(REQ));
    };
    await assert.rejects(drain(), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.equal(err.code, "LLM_PROVIDER_ERROR");
      assert.match(err.message, /mid-stream: "Overloaded later"/);
      return true;
    });
    assert.equal(server.seen.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("AnthropicProvider answers a 401 as a provider error quoting the message", async () => {
  const server = serveWire(() =>
    json(
      { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
      401,
    )
  );
  try {
    const p = new AnthropicProvider({ baseUrl: server.url, apiKey: "bad" });
    await assert.rejects(p.complete(REQ), /401: "invalid x-api-key"/);
    assert.equal(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("AnthropicProvider answers a body without content blocks as malformed", async () => {
  const server = serveWire(() => json({ type: "message" }));
  try {
    await assert.rejects(
      new AnthropicProvider({ baseUrl: server.url }).complete(REQ),
      /no content blocks/,
    );
  } finally {
    await server.close();
  }
});
