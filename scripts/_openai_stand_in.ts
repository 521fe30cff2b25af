/**
 * A local stand-in for an OpenAI-compatible model, for the scripts that record the cassettes Kiln
 * ships: it answers from a script of canned completions, in one piece or — when the request asks
 * to stream — as an event stream cut after each JSON field, `gapMs` apart.
 */
export function serveOpenAiStandIn(
  model: string,
  answer: (userMessage: string) => string | undefined,
  gapMs: number,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const content = answer(String(body.messages.at(-1).content));
    if (content === undefined) {
      return Response.json({ error: { message: "no scripted answer" } }, { status: 400 });
    }
    const usage = {
      prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4),
      completion_tokens: Math.ceil(content.length / 4),
    };
    if (body.stream) return streamed(model, content, usage, gapMs);
    return Response.json({
      model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage,
    });
  });
}

/** The answer as OpenAI-style server-sent events, then usage and `[DONE]`. */
function streamed(model: string, content: string, usage: unknown, gapMs: number): Response {
  const pieces = content.split(/(?<=,)(?=")/);
  const encoder = new TextEncoder();
  const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      for (const piece of pieces) {
        c.enqueue(event({ model, choices: [{ index: 0, delta: { content: piece } }] }));
        await new Promise((r) => setTimeout(r, gapMs));
      }
      c.enqueue(event({ model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage }));
      c.enqueue(encoder.encode("data: [DONE]\n\n"));
      c.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}
