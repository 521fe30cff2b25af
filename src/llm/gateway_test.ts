import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { parseCassette } from "./cassette.ts";
import { LlmGateway } from "./gateway.ts";
import type { LlmConfig } from "./profiles.ts";
import { deferred, fakeTimers, json, openAiAnswer, serveWire, sse } from "./_test_support.ts";

const SCHEMA = {
  type: "object",
  properties: { category: { enum: ["billing", "technical"] } },
  required: ["category"],
  additionalProperties: false,
};
const USER = [{ role: "user" as const, content: "My card was charged twice" }];

function config(url: string, extra: Partial<LlmConfig> = {}): LlmConfig {
  const live = { provider: "openai" as const, baseUrl: `${url}/v1`, apiKeyEnv: "TEST_KEY" };
  return {
    profiles: {
      default: { ...live, model: "gpt-small", parameters: { temperature: 0 } },
      coder: { ...live, model: "gpt-big" },
    },
    prices: { "gpt-small": { inputPerMTok: 1, outputPerMTok: 2 } },
    ...extra,
  };
}

const secret = (name: string) => name === "TEST_KEY" ? "sk-local" : undefined;

async function code(p: Promise<unknown>, expected: string, message?: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, expected, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

Deno.test("LlmGateway picks the asked profile, the app's llm.model, or an app override", async () => {
  const server = serveWire((r) => json({ ...openAiAnswer("hi"), model: r.body.model }));
  try {
    const gw = new LlmGateway({
      config: config(server.url, { apps: { shop: { default: "coder" } } }),
      secret,
      appModel: (appId) => appId === "bank" ? "coder" : undefined,
    });
    assert.equal((await gw.generate({ appId: "a", messages: USER })).model, "gpt-small");
    assert.equal((await gw.generate({ appId: "bank", messages: USER })).model, "gpt-big");
    assert.equal((await gw.generate({ appId: "shop", messages: USER })).model, "gpt-big");
    const coder = await gw.generate({ appId: "a", model: "coder", messages: USER });
    assert.equal(coder.profile, "coder");
    assert.equal(server.seen[0].headers.get("authorization"), "Bearer sk-local");
    assert.equal(server.seen[0].body.temperature, 0, "profile parameters apply");
    await code(
      gw.generate({ appId: "a", model: "gpt-5", messages: USER }),
      "LLM_NOT_CONFIGURED",
      /"gpt-5".*default, coder/,
    );
    const keyless = new LlmGateway({ config: config(server.url), secret: () => undefined });
    await code(
      keyless.generate({ appId: "a", messages: USER }),
      "LLM_NOT_CONFIGURED",
      /"TEST_KEY"/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("LlmGateway repairs one schema violation, sums usage and prices the call", async () => {
  const answers = ['{"category":"cooking"}', '{"category":"billing"}'];
  const server = serveWire((_r, i) =>
    json(openAiAnswer(answers[i], { prompt: 100, completion: 10 }))
  );
  try {
    const gw = new LlmGateway({ config: config(server.url), secret });
    const gen = await gw.generate({ appId: "a", messages: USER, outputSchema: SCHEMA });
    assert.deepEqual(gen.completion, { category: "billing" });
    assert.equal(gen.attempts, 2);
    assert.deepEqual(gen.usage, { promptTokens: 200, completionTokens: 20, costUsd: 0.00024 });
    assert.deepEqual(gen.provenance, { kind: "live", provider: "openai" });
    const repair = server.seen[1].body.messages;
    assert.equal(repair.at(-2).content, '{"category":"cooking"}');
    assert.match(repair.at(-1).content, /\/category must be equal to one of the allowed values/);
    assert.match(server.seen[0].body.messages[0].content, /JSON Schema/);
    assert.deepEqual(gw.meter.snapshot(), [{
      appId: "a",
      profile: "default",
      provenance: "live",
      calls: 1,
      promptTokens: 200,
      completionTokens: 20,
      costUsd: 0.00024,
    }]);
  } finally {
    await server.close();
  }
});

Deno.test("LlmGateway fails with LLM_OUTPUT_INVALID quoting the answer after the repair", async () => {
  const server = serveWire(() => json(openAiAnswer("I think it is billing.")));
  try {
    const gw = new LlmGateway({ config: config(server.url), secret });
    await code(
      gw.generate({ appId: "a", messages: USER, outputSchema: SCHEMA }),
      "LLM_OUTPUT_INVALID",
      /"I think it is billing\." does not satisfy the output schema after 2 attempt/,
    );
    assert.equal(server.seen.length, 2, "exactly one repair retry");
  } finally {
    await server.close();
  }
});

Deno.test("LlmGateway streams deltas and ends with the checked generation", async () => {
  const server = serveWire(() =>
    sse([
      { data: { choices: [{ delta: { content: '{"category":' } }] } },
      { data: { choices: [{ delta: { content: '"technical"}' }, finish_reason: "stop" }] } },
      { data: { choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } } },
      { data: "[DONE]" },
    ])
  );
  try {
    const gw = new LlmGateway({ config: config(server.url), secret });
    const deltas: string[] = [];
    let done;
    for await (const e of gw.stream({ appId: "a", messages: USER, outputSchema: SCHEMA })) {
      if (e.type === "delta") deltas.push(e.text);
      else done = e.generation;
    }
    assert.deepEqual(deltas, ['{"category":', '"technical"}']);
    assert.deepEqual(done?.completion, { category: "technical" });
    assert.equal(done?.usage.completionTokens, 4);
  } finally {
    await server.close();
  }
});

Deno.test("recorded calls replay by request hash, labelled as recordings, with their latency", async () => {
  const server = serveWire(() => json(openAiAnswer('{"category":"billing"}')));
  const dir = await Deno.makeTempDir({ prefix: "kiln-cassette-" });
  try {
    const recorder = new LlmGateway({ config: config(server.url, { recordDir: dir }), secret });
    const live = await recorder.generate({ appId: "a", messages: USER, outputSchema: SCHEMA });
    assert.equal(live.provenance.kind, "live");
    const cassette = parseCassette(
      JSON.parse(await Deno.readTextFile(`${dir}/default.cassette.json`)),
    );
    assert.equal(cassette.recorded, true);
    assert.equal(cassette.provenance.source, "openai gpt-small");
    assert.equal(cassette.entries.length, 1);

    const { clock, timers } = fakeTimers();
    cassette.entries[0].latencyMs = 1500;
    const replay = new LlmGateway({
      config: {
        profiles: {
          default: {
            provider: "replay",
            model: "gpt-small",
            parameters: { temperature: 0 },
            replayLatency: true,
          },
        },
      },
      cassettes: [cassette],
      timers,
    });
    let settled = false;
    const pending = replay.generate({ appId: "a", messages: USER, outputSchema: SCHEMA })
      .finally(() => settled = true);
    // Hashing the request is real async work: wait for the latency timer before moving time.
    while (clock.countTimers() === 0) await new Promise((r) => setTimeout(r, 1));
    await clock.tickAsync(1499);
    assert.equal(settled, false, "the recorded latency is honoured");
    await clock.tickAsync(1);
    const replayed = await pending;
    assert.deepEqual(replayed.completion, { category: "billing" });
    assert.equal(replayed.provenance.kind, "recording");
    assert.deepEqual(replayed.provenance, {
      kind: "recording",
      cassette: "default",
      recordedAt: cassette.entries[0].recordedAt,
      source: "openai gpt-small",
    });
    assert.equal(server.seen.length, 1, "replay never reaches the provider");
    await code(
      replay.generate({ appId: "a", messages: [{ role: "user", content: "other" }] }),
      "LLM_RECORDING_MISSING",
      /no recording answers this call to "gpt-small"/,
    );
    assert.deepEqual(replay.meter.snapshot().map((s) => s.provenance), ["recording"]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generate() with onDelta streams each attempt, repair included, then checks it", async () => {
  const answers = ['{"category":', '"food"}', '{"category":', '"billing"}'];
  const server = serveWire((_r, i) =>
    sse([
      { data: { choices: [{ delta: { content: answers[i * 2] } }] } },
      { data: { choices: [{ delta: { content: answers[i * 2 + 1] }, finish_reason: "stop" }] } },
      { data: { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } } },
      { data: "[DONE]" },
    ])
  );
  try {
    const gw = new LlmGateway({ config: config(server.url), secret });
    const seen: { text: string; attempt: number; recording: boolean }[] = [];
    const gen = await gw.generate(
      { appId: "a", messages: USER, outputSchema: SCHEMA },
      { onDelta: (d) => seen.push(d) },
    );
    assert.deepEqual(gen.completion, { category: "billing" });
    assert.equal(gen.attempts, 2);
    assert.deepEqual(gen.usage.promptTokens, 6, "both attempts are metered");
    assert.equal(server.seen[0].body.stream, true);
    assert.deepEqual(seen, [
      { text: '{"category":', attempt: 1, recording: false },
      { text: '"food"}', attempt: 1, recording: false },
      { text: '{"category":', attempt: 2, recording: false },
      { text: '"billing"}', attempt: 2, recording: false },
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("generate(): a listener that throws ends the provider's stream with its error", async () => {
  const cancelled = deferred();
  const server = serveWire(() => {
    let n = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) =>
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            const chunk = { choices: [{ delta: { content: `piece ${n++} ` } }] };
            c.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk)}\n\n`));
            resolve();
          }, 20);
        }),
      cancel: () => {
        clearTimeout(timer);
        cancelled.resolve();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    const gw = new LlmGateway({ config: config(server.url), secret });
    let pieces = 0;
    await code(
      gw.generate({ appId: "a", messages: USER }, {
        onDelta: () => {
          if (++pieces === 3) throw new KilnError("SANDBOX_KILLED", "over budget");
        },
      }),
      "SANDBOX_KILLED",
    );
    await cancelled.promise;
    assert.equal(pieces, 3);
  } finally {
    await server.close();
  }
});
