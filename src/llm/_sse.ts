/** One server-sent event: its `event:` name (default `message`) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body (the WHATWG rules both OpenAI and Anthropic streams follow):
 * events end at a blank line, `data:` lines join with newlines, `:` lines are comments, and
 * LF, CRLF and CR all end lines. `onChunk` runs per network chunk (the idle-timeout reset).
 */
export async function* parseSse(
  body: ReadableStream<Uint8Array>,
  onChunk: () => void = () => {},
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  const line = (text: string): SseEvent | null => {
    if (text === "") {
      const out = data.length > 0 ? { event: event || "message", data: data.join("\n") } : null;
      event = "";
      data = [];
      return out;
    }
    if (text.startsWith(":")) return null;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    return null;
  };
  const reader = body.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      buffer += decoder.decode(value, { stream: true });
      const lineEnd = /\r\n|\r(?!$)|\n/g;
      let start = 0;
      for (let m = lineEnd.exec(buffer); m !== null; m = lineEnd.exec(buffer)) {
        const out = line(buffer.slice(start, m.index));
        start = m.index + m[0].length;
        if (out) yield out;
      }
      buffer = buffer.slice(start);
    }
    for (const text of [...buffer.replace(/\r$/, "").split(/\r\n|\r|\n/), ""]) {
      const out = line(text);
      if (out) yield out;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
