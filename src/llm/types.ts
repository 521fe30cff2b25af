/**
 * The shapes every part of the LLM gateway shares: what a caller asks for, what a provider
 * answers, and where an answer came from. Providers only translate these to and from a wire
 * format; everything else (profiles, retries, structured output, cost) lives in the gateway.
 */

/** One chat turn. User data travels in `user` turns only (see prompt_template.ts). */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Sampling parameters (contract §8); unknown keys pass through to OpenAI-compatible servers. */
export interface LlmParams {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  [key: string]: unknown;
}

/** How a provider should shape its answer. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json" }
  | { type: "json_schema"; schema: Record<string, unknown> };

/** One call as a provider sees it: the wire model name, the transcript, parameters, format. */
export interface ProviderRequest {
  model: string;
  messages: ChatMessage[];
  parameters: LlmParams;
  format: ResponseFormat;
}

/** Token counts as the provider reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * Where an answer came from. `recording` answers were replayed from a cassette and must never be
 * shown as live output; `recordedAt` and `source` say when and from what they were recorded.
 */
export type Provenance =
  | { kind: "live"; provider: string }
  | { kind: "recording"; cassette: string; recordedAt: string; source: string };

/** What a provider answers for one call. */
export interface ProviderResult {
  text: string;
  usage: TokenUsage;
  /** The model the provider says answered (may differ from the one asked for). */
  model: string;
  finishReason: string | null;
  provenance: Provenance;
}

/** One piece of a streamed answer; the last event is always `done`. */
export type StreamEvent =
  | { type: "delta"; text: string }
  | { type: "done"; result: ProviderResult };

/** What a provider call may be cancelled by. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * One piece of an answer as the gateway streams it to a caller. `attempt` 2 starts the text over
 * (the repair retry after an answer failed its schema); `recording` says it is replayed.
 */
export interface LlmDelta {
  text: string;
  attempt: number;
  recording: boolean;
}

/** A gateway call; with `onDelta`, the provider streams and each text piece is passed on. */
export interface GenerateOptions extends CallOptions {
  /** Hears each text delta as the provider yields it; a throw aborts the call with that error. */
  onDelta?: (delta: LlmDelta) => void;
}

/**
 * A model backend. `complete` answers in one piece; `stream` yields text deltas and ends with
 * the same result `complete` would give. Both throw KilnError (LLM_* codes) on failure.
 */
export interface LlmProvider {
  /** A short name for logs and provenance (`openai`, `anthropic`, `replay`, ...). */
  readonly name: string;
  complete(req: ProviderRequest, opts?: CallOptions): Promise<ProviderResult>;
  stream(req: ProviderRequest, opts?: CallOptions): AsyncIterable<StreamEvent>;
}

/** What a call produced: the completion (parsed JSON when asked for), usage, cost, provenance. */
export interface Generation {
  completion: unknown;
  text: string;
  usage: { promptTokens: number; completionTokens: number; costUsd: number };
  profile: string;
  model: string;
  provenance: Provenance;
  /** 2 when the first answer failed its schema and the repair retry was used. */
  attempts: number;
}
