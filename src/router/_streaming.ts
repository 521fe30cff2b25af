/**
 * Streamed ingress answers (contract §5): an llm component asked with
 * `Accept: text/event-stream` answers its text as the model writes it (`event: delta`), then the
 * checked result (`event: result`) or the error envelope (`event: error`).
 */
import { KilnError, quote } from "../core/mod.ts";
import type { DeltaListener, StreamDelta } from "../mcp/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";

/** Whether the client asked for a stream and the component can give one. */
export function wantsStream(req: Request, component: ComponentDefinition): boolean {
  if (component.handlerType !== "llm" || req.method === "HEAD") return false;
  return (req.headers.get("accept") ?? "").toLowerCase().includes("text/event-stream");
}

/**
 * Counts streamed text against the execution's output budget: the stream is output as much as
 * the result is. Crossing it throws, which ends the provider call; the model wrote too much, so
 * it is the component's fault (5xx), never the caller's.
 */
export function budgeted(
  listener: DeltaListener,
  maxBytes: number,
  componentId: string,
): DeltaListener {
  const encoder = new TextEncoder();
  let bytes = 0;
  return (delta) => {
    bytes += encoder.encode(delta.text).length;
    if (bytes > maxBytes) {
      throw new KilnError(
        "SANDBOX_KILLED",
        `component ${quote(componentId)} streamed more than its ${maxBytes}-byte output budget`,
        { reason: "output", componentId, maxOutputBytes: maxBytes },
      );
    }
    listener(delta);
  };
}

/**
 * The event stream of one answer. Events before the client reads are queued (text deltas are
 * bounded by the output budget). When the client leaves, `closed` aborts, so the execution and
 * with it the provider call end; a delta after the end throws, which ends a call that outlived
 * its answer (its deadline passed).
 */
export class SseAnswer {
  readonly body: ReadableStream<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #gone = new AbortController();
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #done = false;
  #first!: () => void;
  /** Resolves at the first event, so the response head can say what the stream is. */
  readonly started: Promise<void> = new Promise((r) => this.#first = r);
  /** Whether any delta came from a recording (it must never pass for live output). */
  recording = false;

  constructor() {
    this.body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
      },
      cancel: () => {
        this.#done = true;
        this.#gone.abort(new KilnError("UNAVAILABLE", "the client closed the stream"));
      },
    });
  }

  /** Aborts when the client has gone away. */
  get closed(): AbortSignal {
    return this.#gone.signal;
  }

  /** Sends a piece; once the answer has ended (deadline, client gone) it throws, ending the call. */
  delta(d: StreamDelta): void {
    if (this.#done) throw new KilnError("UNAVAILABLE", "the streamed answer has already ended");
    this.recording ||= d.recording;
    this.#send("delta", { text: d.text, ...(d.attempt > 1 ? { attempt: d.attempt } : {}) });
  }

  /** The last event: the result or the error envelope; closes the stream. */
  end(event: "result" | "error", body: string): void {
    this.#send(event, body);
    if (this.#done) return;
    this.#done = true;
    try {
      this.#controller.close();
    } catch { /* the client left */ }
  }

  #send(event: string, data: unknown): void {
    this.#first();
    if (this.#done) return;
    const text = typeof data === "string" ? data : JSON.stringify(data);
    // `data:` lines may not hold line breaks; JSON has none outside strings, where they are escaped.
    try {
      this.#controller.enqueue(this.#encoder.encode(`event: ${event}\ndata: ${text}\n\n`));
    } catch { /* the client left */ }
  }
}
