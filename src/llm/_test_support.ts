/**
 * Test and bench helpers: a local HTTP server on 127.0.0.1 that speaks an LLM wire format (the
 * only fake the project allows: a paid remote service, replaced at the wire), and a fake clock.
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { LlmTimers } from "./timers.ts";

/** One request the fake provider received. */
export interface SeenRequest {
  path: string;
  headers: Headers;
  // deno-lint-ignore no-explicit-any -- tests index freely into request bodies
  body: any;
}

export interface WireServer {
  url: string;
  seen: SeenRequest[];
  /** Resolves when the server has received `n` requests. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port; `handler` sees the parsed JSON body. */
export function serveWire(
  handler: (req: SeenRequest, index: number) => Response | Promise<Response>,
): WireServer {
  const seen: SeenRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const text = await req.text();
      const entry = {
        path: new URL(req.url).pathname,
        headers: req.headers,
        body: text ? JSON.parse(text) : null,
      };
      seen.push(entry);
      for (const w of waiters.filter((w) => seen.length >= w.n)) w.resolve();
      return await handler(entry, seen.length - 1);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    received: (n) =>
      seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      await server.shutdown();
    },
  };
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A `text/event-stream` response of the given events (`data` objects are JSON-encoded). */
export function sse(events: { event?: string; data: unknown }[]): Response {
  const text = events.map((e) =>
    `${e.event ? `event: ${e.event}\n` : ""}data: ${
      typeof e.data === "string" ? e.data : JSON.stringify(e.data)
    }\n\n`
  ).join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

/** An OpenAI chat completion answering `content`. */
export function openAiAnswer(
  content: string,
  usage = { prompt: 12, completion: 5 },
): Record<string, unknown> {
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    model: "gpt-test",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    },
  };
}

/** A fake clock the gateway runs on, not installed globally (real I/O keeps real timers). */
export function fakeTimers(start = Date.parse("2026-12-03T08:00:00Z")) {
  const clock = FakeTimers.withGlobal(globalThis).createClock(start);
  const timers: LlmTimers = {
    now: () => clock.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (id) => clock.clearTimeout(id as ReturnType<typeof clock.setTimeout>),
  };
  return { clock, timers };
}

/** A promise plus its resolver, for servers that hold an answer until the test says so. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}
