import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

/** One server-sent event: its name and JSON data; `end` closes the stream after it. */
export interface SseEvent {
  event: string;
  data: unknown;
  end?: boolean;
}

/** A live source of events: subscribed first, then its history read, so nothing falls between. */
export interface EventSource<E> {
  subscribe(listener: (e: E) => void): () => void;
  /** What happened so far (may throw, before anything is sent: a 404 stays a 404). */
  backlog(): Promise<SseEvent[]>;
  /** A live event as SSE; null skips it (one the backlog already held). */
  live(e: E): SseEvent | null;
}

/**
 * Streams a subscription as server-sent events: the backlog, then live events until one says
 * `end` or the client goes away; the subscription is always released.
 */
export async function eventStream<E>(c: Context, source: EventSource<E>): Promise<Response> {
  const queue: E[] = [];
  let wake = () => {};
  const stop = source.subscribe((e) => {
    queue.push(e);
    wake();
  });
  let backlog: SseEvent[];
  try {
    backlog = await source.backlog();
  } catch (err) {
    stop();
    throw err;
  }
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => {
      stop();
      wake();
    });
    const send = (e: SseEvent) => stream.writeSSE({ event: e.event, data: JSON.stringify(e.data) });
    try {
      let ended = false;
      for (const e of backlog) {
        await send(e);
        ended ||= e.end === true;
      }
      while (!ended && !stream.aborted) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        for (const item of queue.splice(0)) {
          const e = source.live(item);
          if (!e) continue;
          await send(e);
          if (e.end) ended = true;
        }
      }
    } finally {
      stop();
    }
  });
}
