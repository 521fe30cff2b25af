/**
 * Streamed LLM answers through Kiln's public faces (contract §5): server-sent events over app
 * ingress, MCP `notifications/progress` to the official SDK client, `step.delta` events on a
 * workflow run's event stream — replayed from the support-desk cassette (its recorded chunk
 * timing) on a real `kiln serve`, and live from a loopback OpenAI-wire server that streams.
 */
import assert from "node:assert/strict";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import { EXAMPLE_TICKETS, supportDeskCassettes } from "../examples/support_desk_cassettes.ts";
import { deferred, json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { ADMIN_TOKEN } from "./_support/kiln.ts";
import { startMcpKiln } from "./_support/mcp.ts";
import { connectV2, within } from "./_support/mcp_clients.ts";
import { spawnServer } from "./_support/process.ts";

const [TICKET] = EXAMPLE_TICKETS;
const ANSWER = JSON.stringify(TICKET.classification);
const CLASSIFY = "/apps/support-desk/tickets/classify";

/** One server-sent event with when it arrived (ms after the request was sent). */
interface Arrived {
  event: string;
  // deno-lint-ignore no-explicit-any -- tests index freely into JSON events
  data: any;
  atMs: number;
  /** `performance.now()` at arrival. */
  at: number;
}

/** Reads a `text/event-stream` body as it comes, stamping each event; `stop` ends the read. */
async function readEvents(
  res: Response,
  sentAt: number,
  stop: (e: Arrived, all: Arrived[]) => boolean = () => false,
): Promise<Arrived[]> {
  const out: Arrived[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return out;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
          .join("\n");
        const at = performance.now();
        const e = { event, data: JSON.parse(data), atMs: at - sentAt, at };
        out.push(e);
        if (stop(e, out)) return out;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function postTicket(url: string, ticket: unknown, signal?: AbortSignal) {
  return fetch(`${url}${CLASSIFY}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(ticket),
    ...(signal ? { signal } : {}),
  });
}

/**
 * Posts the ticket for a stream until the answer opens without the prompt renderer failing to
 * start (its process start is bounded at 30 s, which a very loaded machine can still miss).
 */
async function streamTicket(
  url: string,
  ticket: unknown,
  stop?: (e: Arrived, all: Arrived[]) => boolean,
  signal?: AbortSignal,
): Promise<{ res: Response; events: Arrived[] }> {
  for (let attempt = 1;; attempt++) {
    const sentAt = performance.now();
    const res = await postTicket(url, ticket, signal);
    const events = await readEvents(res, sentAt, stop);
    const renderer = events[0]?.event === "error" &&
      /cannot start a renderer/.test(events[0].data.error?.message);
    if (!renderer || attempt === 3) return { res, events };
  }
}

/** Waits until `kiln serve` serves the example app (it registers it after listening). */
async function exampleServed(url: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${url}/v1/apps/support-desk`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    await res.body?.cancel();
    if (res.ok) return;
    if (Date.now() > until) throw new Error(`the example app was never served (${res.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("kiln serve streams a replayed llm answer: ingress SSE, MCP progress, run step deltas", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-stream-" });
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir], {
    env: { KILN_ADMIN_TOKEN: ADMIN_TOKEN, KILN_CONTAINERS: "off", KILN_LOG_LEVEL: "error" },
    startTimeoutMs: 60_000,
  });
  const entry = supportDeskCassettes[0].entries.find((e) => e.result.text === ANSWER)!;
  const chunks = entry.chunks!;
  try {
    await exampleServed(server.url);

    await t.step("ingress: deltas spaced like the cassette, then the checked result", async () => {
      const { res, events } = await streamTicket(server.url, TICKET.ticket);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
      assert.equal(res.headers.get("x-kiln-llm-provenance"), "recording", JSON.stringify(events));
      const deltas = events.filter((e) => e.event === "delta");
      assert.ok(deltas.length >= 2, `deltas: ${JSON.stringify(events)}`);
      assert.deepEqual(deltas.map((d) => d.data.text), chunks.map((c) => c.text));
      assert.equal(deltas.map((d) => d.data.text).join(""), ANSWER);
      // Replay waits for each chunk's recorded time: the last cannot come sooner than recorded,
      // and the pieces come apart (not in one burst at the end).
      const recordedSpan = chunks.at(-1)!.atMs - chunks[0].atMs;
      assert.ok(deltas.at(-1)!.atMs >= chunks.at(-1)!.atMs, `${deltas.at(-1)!.atMs} ms`);
      const span = deltas.at(-1)!.atMs - deltas[0].atMs;
      assert.ok(span >= recordedSpan * 0.5, `deltas spanned ${span} ms, recorded ${recordedSpan}`);
      const last = events.at(-1)!;
      assert.equal(last.event, "result");
      assert.deepEqual(last.data, TICKET.classification);
    });

    await t.step("ingress without Accept: text/event-stream answers JSON as before", async () => {
      const res = await fetch(`${server.url}${CLASSIFY}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(TICKET.ticket),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), TICKET.classification);
    });

    await t.step("ingress: a failure after the stream opened is an error event", async () => {
      const { res, events } = await streamTicket(server.url, {
        subject: "Printer on fire",
        description: "Help",
      });
      assert.equal(res.status, 200);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].event, "error");
      assert.equal(events[0].data.error.code, "LLM_RECORDING_MISSING");
    });

    await t.step(
      "MCP: an app tool call sends progress with the text, then the result",
      async () => {
        const { client } = await connectV2(new URL(`${server.url}/mcp`));
        try {
          const seen: { progress: number; message?: string }[] = [];
          const result = await within(
            client.callTool(
              { name: "app.support-desk.classify-ticket", arguments: TICKET.ticket },
              { onprogress: (p) => seen.push(p) },
            ),
            20_000,
            "tools/call",
          );
          assert.equal(result.isError, undefined, JSON.stringify(result));
          assert.deepEqual(result.structuredContent, TICKET.classification);
          assert.ok(seen.length >= 2, `progress: ${JSON.stringify(seen)}`);
          assert.equal(seen.map((p) => p.message).join(""), ANSWER);
          assert.equal(seen.at(-1)!.progress, ANSWER.length, "progress counts the characters");
          for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress);
        } finally {
          await client.close();
        }
      },
    );

    await t.step("workflow: the llm step's text shows as step.delta events", async () => {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const started = await fetch(`${server.url}/v1/apps/support-desk/workflows/triage/runs`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ input: TICKET.ticket }),
      });
      assert.equal(started.status, 202);
      const { runId } = await started.json();
      const res = await fetch(`${server.url}/v1/apps/support-desk/runs/${runId}/events`, {
        headers: auth,
      });
      assert.equal(res.status, 200);
      const events = await within(
        readEvents(res, performance.now(), (e) => e.event === "run"),
        30_000,
        "run events",
      );
      const run = events.at(-1)!;
      assert.equal(run.data.status, "succeeded", JSON.stringify(events));
      const deltas = events.filter((e) => e.event === "step.delta");
      assert.ok(deltas.length >= 1, JSON.stringify(events));
      for (const d of deltas) {
        assert.equal(d.data.stepId, "classify");
        assert.equal(d.data.type, "step.delta");
      }
      // The stream is joined mid-run: what it shows is the end of the answer, in order.
      assert.ok(ANSWER.endsWith(deltas.map((d) => d.data.text).join("")), JSON.stringify(deltas));
      const classify = events.findIndex((e) => e.event === "step" && e.data.stepId === "classify");
      assert.ok(classify > events.indexOf(deltas.at(-1)!), "deltas come before the step's end");
    });
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** A loopback OpenAI-wire server that streams `ANSWER` in pieces, `gapMs` apart. */
function streamingModel(gapMs: number, pieces = ANSWER.split(/(?<=,)(?=")/)) {
  const cancelled = deferred();
  const finished: number[] = [];
  const wire = serveWire((req) => {
    if (!req.body.stream) return json(openAiAnswer(pieces.join("")));
    const encoder = new TextEncoder();
    const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    let abandoned = false;
    let i = 0;
    // Pulled: a piece is made only when the reader wants one, so the stand-in never runs ahead of
    // a slow reader and finishes before the reader has stopped it.
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (i > 0) {
          await new Promise<void>((r) => {
            wake = r;
            timer = setTimeout(r, gapMs);
          });
        }
        if (abandoned) return;
        if (i < pieces.length) {
          c.enqueue(
            event({ model: "live-m", choices: [{ index: 0, delta: { content: pieces[i++] } }] }),
          );
          return;
        }
        c.enqueue(event({
          model: "live-m",
          choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
          usage: { prompt_tokens: 40, completion_tokens: 30 },
        }));
        c.enqueue(encoder.encode("data: [DONE]\n\n"));
        finished.push(performance.now());
        c.close();
      },
      cancel() {
        abandoned = true;
        clearTimeout(timer);
        wake?.();
        cancelled.resolve();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { wire, cancelled: cancelled.promise, finished };
}

/** A Kiln whose default model is the live stand-in at `wireUrl`, serving the example app. */
async function liveKiln(wireUrl: string) {
  const k = await startMcpKiln({
    llm: {
      config: {
        profiles: { default: { provider: "openai", baseUrl: `${wireUrl}/v1`, model: "live-m" } },
      },
    },
  });
  try {
    await k.kiln.registry.registerApplication({ files: supportDeskFiles });
  } catch (err) {
    await k.close();
    throw err;
  }
  return k;
}

Deno.test("a live OpenAI-wire stream reaches ingress SSE and MCP progress as it is written", async (t) => {
  const model = streamingModel(80);
  const k = await liveKiln(model.wire.url);
  try {
    await t.step("ingress: the first delta comes before the model has finished", async () => {
      const { res, events } = await streamTicket(k.url, TICKET.ticket);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-kiln-llm-provenance"), null, "a live answer");
      const deltas = events.filter((e) => e.event === "delta");
      assert.ok(deltas.length >= 2, JSON.stringify(events));
      assert.equal(deltas.map((d) => d.data.text).join(""), ANSWER);
      assert.ok(
        deltas[0].at < model.finished.at(-1)!,
        "the first piece was passed on while the model was still writing",
      );
      assert.deepEqual(events.at(-1)!.data, TICKET.classification);
    });

    await t.step("MCP: core.llm.generate sends progress to the SDK client", async () => {
      const { client } = await connectV2(new URL(`${k.mcpUrl}?app=support-desk`));
      try {
        const seen: { progress: number; message?: string }[] = [];
        const result = await within(
          client.callTool(
            { name: "core.llm.generate", arguments: { prompt: "Classify anything." } },
            { onprogress: (p) => seen.push(p) },
          ),
          20_000,
          "tools/call",
        );
        assert.equal(result.isError, undefined, JSON.stringify(result));
        const out = result.structuredContent as {
          completion: string;
          provenance: { kind: string };
        };
        assert.equal(out.completion, ANSWER);
        assert.equal(out.provenance.kind, "live");
        assert.ok(seen.length >= 2, JSON.stringify(seen));
        assert.equal(seen.map((p) => p.message).join(""), ANSWER);
      } finally {
        await client.close();
      }
    });

    await t.step("a call without a progressToken answers as before", async () => {
      const { client } = await connectV2(new URL(`${k.mcpUrl}?app=support-desk`));
      try {
        const result = await client.callTool({
          name: "core.llm.generate",
          arguments: { prompt: "Classify anything." },
        });
        assert.equal((result.structuredContent as { completion: string }).completion, ANSWER);
      } finally {
        await client.close();
      }
    });
  } finally {
    await k.close();
    await model.wire.close();
  }
});

Deno.test("a client that leaves an SSE answer cancels the provider call", async () => {
  const model = streamingModel(200, Array.from({ length: 50 }, (_, i) => `piece ${i} `));
  const k = await liveKiln(model.wire.url);
  try {
    const abort = new AbortController();
    const { events } = await streamTicket(
      k.url,
      TICKET.ticket,
      (e) => e.event === "delta",
      abort.signal,
    );
    assert.equal(events[0].data.text, "piece 0 ", JSON.stringify(events));
    abort.abort();
    // 50 pieces 200 ms apart would take 10 s; leaving ends the model's stream at once.
    await within(model.cancelled, 3_000, "the provider stream was cancelled");
    assert.equal(model.finished.length, 0, "the model never finished");
  } finally {
    await k.close();
    await model.wire.close();
  }
});

Deno.test("a stream past the output budget ends with SANDBOX_KILLED, and the model call with it", async () => {
  // 200 pieces of 64 KiB: 12.5 MiB against the 4 MiB output budget of an execution, so the
  // model is still sending when the budget stops it, whatever the socket buffers hold.
  const model = streamingModel(1, Array.from({ length: 200 }, () => "x".repeat(64 << 10)));
  const k = await liveKiln(model.wire.url);
  try {
    const { res, events } = await streamTicket(k.url, TICKET.ticket);
    assert.equal(res.status, 200);
    const last = events.at(-1)!;
    assert.equal(last.event, "error", JSON.stringify(last).slice(0, 300));
    assert.equal(last.data.error.code, "SANDBOX_KILLED");
    assert.equal(last.data.error.details.reason, "output");
    assert.equal(last.data.error.details.maxOutputBytes, 4 << 20);
    const streamed = events.filter((e) => e.event === "delta")
      .reduce((n, e) => n + e.data.text.length, 0);
    assert.ok(streamed <= 4 << 20, `${streamed} bytes passed on`);
    await within(model.cancelled, 3_000, "the provider stream was cancelled");
    assert.equal(model.finished.length, 0, "the model never finished");
  } finally {
    await k.close();
    await model.wire.close();
  }
});
