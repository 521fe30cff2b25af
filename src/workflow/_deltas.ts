/**
 * An llm step's streamed text as `step.delta` run events, bounded: pieces are coalesced (one
 * event per `DELTA_FLUSH_MS` or per `DELTA_EVENT_CHARS` characters) and each step attempt streams
 * at most `LIMITS["workflow.step.deltaChars"]` characters, then one `truncated` event. The step's
 * output is unaffected: the events are a view of its progress, not its result.
 */
import { LIMITS } from "../core/mod.ts";
import type { DeltaListener } from "../mcp/mod.ts";
import type { Timers } from "./_timers.ts";
import type { RunEvent } from "./types.ts";

/** How long pieces gather before they go out as one event. */
export const DELTA_FLUSH_MS = 50;
/** Characters that go out at once, without waiting for the flush timer. */
export const DELTA_EVENT_CHARS = 1_024;

/** One step attempt's delta stream; `close()` sends what is pending. */
export class StepDeltas {
  readonly listener: DeltaListener;
  #pending = "";
  #sent = 0;
  #attempt = 1;
  #timer: unknown = null;
  #closed = false;
  #truncated = false;

  constructor(
    private readonly base: { runId: string; stepId: string },
    private readonly timers: Timers,
    private readonly emit: (event: RunEvent) => void,
    private readonly maxChars: number = LIMITS["workflow.step.deltaChars"],
  ) {
    this.listener = ({ text, attempt }) => this.#push(text, attempt);
  }

  #push(text: string, attempt: number): void {
    if (this.#closed || this.#truncated) return;
    if (attempt !== this.#attempt) {
      this.#flush();
      this.#attempt = attempt;
    }
    const room = this.maxChars - this.#sent - this.#pending.length;
    this.#pending += text.slice(0, Math.max(0, room));
    if (text.length > room) {
      this.#flush();
      this.#truncated = true;
      this.#event({ text: "", truncated: true });
      return;
    }
    if (this.#pending.length >= DELTA_EVENT_CHARS) this.#flush();
    else this.#timer ??= this.timers.setTimeout(() => this.#flush(), DELTA_FLUSH_MS);
  }

  /** Sends what is pending; later pieces are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    if (this.#timer !== null) this.timers.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    this.#sent += text.length;
    this.#event({ text });
  }

  #event(extra: { text: string; truncated?: boolean }): void {
    this.emit({
      type: "step.delta",
      runId: this.base.runId,
      stepId: this.base.stepId,
      status: "running",
      at: this.timers.now(),
      ...(this.#attempt > 1 ? { llmAttempt: this.#attempt } : {}),
      ...extra,
    });
  }
}
