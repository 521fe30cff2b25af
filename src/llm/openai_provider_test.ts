import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { type OpenAiOptions, OpenAiProvider } from "./openai_provider.ts";
import {
  deferred,
  fakeTimers,
  json,
  openAiAnswer,
  type SeenRequest,
  serveWire,
  sse,
} from "./_test_support.ts";
import type { ProviderRequest, StreamEvent } from "./types.ts";

const REQ: ProviderRequest = {
  model: "gpt-test",
  messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }],
  parameters: { temperature: 0, max_tokens: 50 },
  format: { type: "text" },
};

async function withServer(
  handler: (req: SeenRequest, i: number) => Response | Promise<Response>,
  fn: (url: string, seen: SeenRequest[], server: ReturnType<typeof serveWire>) => Promise<void>,
) {
  const server = serveWire(handler);
  try {
    await fn(server.url, server.seen, server);
  } finally {
    await server.close();
  }
}

function provider(url: string, extra: Partial<OpenAiOptions> = {}) {
  return new OpenAiProvider({ baseUrl: `${url}/v1`, apiKey: "sk-test", ...extra });
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<KilnError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("OpenAiProvider.complete() sends the chat completions request and reads usage", async () => {
  await withServer(() => json(openAiAnswer("Hello!")), async (url, seen) => {
    const schema = { type: "object", properties: { a: { type: "number" } } };
    const result = await provider(url).complete({
      ...REQ,
      format: { type: "json_schema", schema },
    });
    assert.equal(seen[0].path, "/v1/chat/completions");
    assert.equal(seen[0].headers.get("authorization"), "Bearer sk-test");
    assert.deepEqual(seen[0].body, {
      model: "gpt-test",
      messages: REQ.messages,
      temperature: 0,
      max_tokens: 50,
      response_format: {
        type: "json_schema",
        json_schema: { name: "output", schema, strict: false },
      },
    });
    assert.deepEqual(result, {
      text: "Hello!",
      usage: { promptTokens: 12, completionTokens: 5 },
      model: "gpt-test",
      finishReason: "stop",
      provenance: { kind: "live", provider: "openai" },
    });
  });
});

Deno.test("OpenAiProvider asks servers without json_schema support for json_object", async () => {
  await withServer(() => json(openAiAnswer("{}")), async (url, seen) => {
    const p = provider(url, { structuredOutput: "json_object" });
    await p.complete({ ...REQ, format: { type: "json_schema", schema: {} } });
    assert.deepEqual(seen[0].body.response_format, { type: "json_object" });
    await provider(url, { structuredOutput: "none" }).complete({
      ...REQ,
      format: { type: "json" },
    });
    assert.equal(seen[1].body.response_format, undefined);
  });
});

Deno.test("OpenAiProvider.stream() yields deltas and ends with the usage chunk", async () => {
  const chunk = (content: string | null, finish: string | null = null) => ({
    data: { model: "gpt-test", choices: [{ index: 0, delta: { content }, finish_reason: finish }] },
  });
  await withServer(
    () =>
      sse([
        chunk("Hel"),
        chunk("lo"),
        chunk(null, "stop"),
        { data: { choices: [], usage: { prompt_tokens: 7, completion_tokens: 2 } } },
        { data: "[DONE]" },
      ]),
    async (url, seen) => {
      const events: StreamEvent[] = [];
      for await (const e of provider(url).stream(REQ)) events.push(e);
      assert.equal(seen[0].body.stream, true);
      assert.deepEqual(seen[0].body.stream_options, { include_usage: true });
      assert.deepEqual(events.slice(0, 2), [
        { type: "delta", text: "Hel" },
        { type: "delta", text: "lo" },
      ]);
      assert.deepEqual(events[2], {
        type: "done",
        result: {
          text: "Hello",
          usage: { promptTokens: 7, completionTokens: 2 },
          model: "gpt-test",
          finishReason: "stop",
          provenance: { kind: "live", provider: "openai" },
        },
      });
    },
  );
});

Deno.test("OpenAiProvider reports an error event inside a stream as LLM_PROVIDER_ERROR", async () => {
  await withServer(
    () => sse([{ data: { error: { message: "context length exceeded" } } }]),
    async (url) => {
      const drain = async () => {
        for await (const _ of provider(url).stream(REQ));
      };
      await rejects(drain(), "LLM_PROVIDER_ERROR", /context length exceeded/);
    },
  );
});

Deno.test("OpenAiProvider fails a 400 at once, quoting the provider's message", async () => {
  await withServer(
    () => json({ error: { message: "Unknown parameter: 'foo'" } }, 400),
    async (url, seen) => {
      const err = await rejects(provider(url).complete(REQ), "LLM_PROVIDER_ERROR", /400.*foo/);
      assert.equal(seen.length, 1, "client errors are not retried");
      assert.equal((err.details as { status: number }).status, 400);
      assert.equal(err.status, 502);
    },
  );
});

Deno.test("OpenAiProvider answers malformed JSON and missing choices as provider errors", async () => {
  await withServer(
    (_r, i) =>
      i === 0
        ? new Response("{not json", { headers: { "content-type": "application/json" } })
        : json({ choices: [] }),
    async (url) => {
      await rejects(
        provider(url).complete(REQ),
        "LLM_PROVIDER_ERROR",
        /malformed JSON.*\{not json/,
      );
      await rejects(provider(url).complete(REQ), "LLM_PROVIDER_ERROR", /no message content/);
    },
  );
});

Deno.test("OpenAiProvider waits out a 429's retry-after on the clock, then succeeds", async () => {
  const { clock, timers } = fakeTimers();
  const retried = deferred<number>();
  await withServer(
    (_r, i) =>
      i === 0
        ? json({ error: { message: "slow down" } }, 429, { "retry-after": "2" })
        : json(openAiAnswer("ok")),
    async (url, seen) => {
      const p = provider(url, { timers, onRetry: (r) => retried.resolve(r.delayMs) })
        .complete(REQ);
      assert.equal(await retried.promise, 2000);
      await clock.tickAsync(1999);
      assert.equal(seen.length, 1, "no retry before retry-after has passed");
      await clock.tickAsync(1);
      assert.equal((await p).text, "ok");
      assert.equal(seen.length, 2);
    },
  );
});

Deno.test("OpenAiProvider backs off exponentially on 5xx, then fails with the attempt count", async () => {
  const { clock, timers } = fakeTimers();
  const delays: number[] = [];
  await withServer(() => json({ error: { message: "overloaded" } }, 503), async (url, seen) => {
    const p = provider(url, {
      timers,
      random: () => 1,
      retry: { maxRetries: 2, baseDelayMs: 100 },
      onRetry: (r) => {
        delays.push(r.delayMs);
        queueMicrotask(() => clock.tickAsync(r.delayMs));
      },
    }).complete(REQ);
    const err = await rejects(p, "LLM_PROVIDER_ERROR", /503.*overloaded/);
    assert.deepEqual(delays, [100, 200]);
    assert.equal(seen.length, 3);
    assert.equal((err.details as { attempts: number }).attempts, 3);
  });
});

Deno.test("OpenAiProvider gives up on 429 with LLM_RATE_LIMITED when retry-after is too long", async () => {
  await withServer(
    () => json({ error: { message: "quota" } }, 429, { "retry-after": "3600" }),
    async (url, seen) => {
      const err = await rejects(provider(url).complete(REQ), "LLM_RATE_LIMITED", /429.*quota/);
      assert.equal(seen.length, 1);
      assert.equal(err.status, 429);
    },
  );
});

Deno.test("OpenAiProvider times out a silent server after timeoutMs on the clock", async () => {
  const { clock, timers } = fakeTimers();
  const release = deferred();
  await withServer(async () => {
    await release.promise;
    return json(openAiAnswer("too late"));
  }, async (url, _seen, server) => {
    const outcome = rejects(
      provider(url, { timers, timeoutMs: 5000 }).complete(REQ),
      "LLM_TIMEOUT",
      /within 5000 ms/,
    );
    await server.received(1);
    await clock.tickAsync(5000);
    await outcome;
    release.resolve();
  });
});

Deno.test("OpenAiProvider stops a stream that goes idle longer than timeoutMs", async () => {
  const { clock, timers } = fakeTimers();
  const first = deferred();
  await withServer(() => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(
          `data: ${JSON.stringify({ choices: [{ delta: { content: "a" } }] })}\n\n`,
        ));
        first.resolve();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }, async (url) => {
    const it = provider(url, { timers, timeoutMs: 1000 }).stream(REQ)[Symbol.asyncIterator]();
    assert.deepEqual((await it.next()).value, { type: "delta", text: "a" });
    await first.promise;
    const outcome = rejects(it.next(), "LLM_TIMEOUT");
    await clock.tickAsync(1000);
    await outcome;
  });
});

Deno.test("OpenAiProvider retries a refused connection, then names the unreachable URL", async () => {
  const server = serveWire(() => json({}));
  const url = server.url;
  await server.close();
  const { clock, timers } = fakeTimers();
  const p = provider(url, {
    timers,
    retry: { maxRetries: 1 },
    onRetry: (r) => queueMicrotask(() => clock.tickAsync(r.delayMs)),
  }).complete(REQ);
  const err = await rejects(p, "LLM_PROVIDER_ERROR", /cannot reach provider "openai" at/);
  assert.equal((err.details as { attempts: number }).attempts, 2);
});

Deno.test("OpenAiProvider stops when the caller aborts", async () => {
  const release = deferred();
  await withServer(async () => {
    await release.promise;
    return json(openAiAnswer("late"));
  }, async (url, _seen, server) => {
    const ctrl = new AbortController();
    const outcome = rejects(
      provider(url).complete(REQ, { signal: ctrl.signal }),
      "LLM_PROVIDER_ERROR",
      /was cancelled/,
    );
    await server.received(1);
    ctrl.abort(new Error("client went away"));
    await outcome;
    release.resolve();
  });
});
