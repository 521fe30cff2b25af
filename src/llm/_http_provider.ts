import { KilnError, quote } from "../core/mod.ts";
import {
  bodyError,
  type HttpCall,
  type OpenResponse,
  postJson,
  type RetryListener,
} from "./_http_call.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry_policy.ts";
import { type LlmTimers, systemTimers } from "./timers.ts";

/** What both HTTP providers are configured with. */
export interface HttpProviderOptions {
  /** The API root, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** The resolved secret (never from app definitions); absent for local servers. */
  apiKey?: string;
  /** Per attempt; for streams, the longest wait between two chunks. Default 60 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  timers?: LlmTimers;
  /** Jitter source, replaceable in tests. */
  random?: () => number;
  onRetry?: RetryListener;
  /** A name for logs and provenance (default the wire format's). */
  name?: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/** The shared plumbing of one provider: how it POSTs and how it reads a JSON answer. */
export class HttpPlumbing {
  readonly name: string;
  readonly #o: HttpProviderOptions;
  readonly #retry: RetryPolicy;

  constructor(defaultName: string, opts: HttpProviderOptions) {
    this.name = opts.name ?? defaultName;
    this.#o = opts;
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** The call description for `path` under the base URL. */
  call(
    path: string,
    headers: Record<string, string>,
    body: unknown,
    signal?: AbortSignal,
  ): HttpCall {
    return {
      provider: this.name,
      url: `${this.#o.baseUrl.replace(/\/+$/, "")}${path}`,
      headers,
      body,
      timeoutMs: this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: this.#retry,
      timers: this.#o.timers ?? systemTimers,
      ...(this.#o.random ? { random: this.#o.random } : {}),
      ...(this.#o.onRetry ? { onRetry: this.#o.onRetry } : {}),
      ...(signal ? { signal } : {}),
    };
  }

  get apiKey(): string | undefined {
    return this.#o.apiKey;
  }

  /** POSTs and parses the JSON answer; a body that is not JSON is a provider error. */
  async json(call: HttpCall): Promise<unknown> {
    const open = await postJson(call);
    let text: string;
    try {
      text = await open.response.text();
    } catch (err) {
      throw bodyError(call, err);
    } finally {
      open.done();
    }
    try {
      return JSON.parse(text);
    } catch {
      throw malformed(this.name, text);
    }
  }

  /** POSTs for a stream; the caller reads `open.response.body` and calls `open.done()`. */
  open(call: HttpCall): Promise<OpenResponse> {
    return postJson(call);
  }
}

/** A 2xx answer that is not the JSON the wire format promises. */
export function malformed(provider: string, text: string, why = "malformed JSON"): KilnError {
  return new KilnError(
    "LLM_PROVIDER_ERROR",
    `provider ${quote(provider)} answered with ${why}: ${quote(text, 200)}`,
    { provider, body: text.slice(0, 2000) },
  );
}

/** Parses one streamed JSON event, or fails as a malformed answer. */
export function parseEvent(provider: string, data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data);
    if (value && typeof value === "object") return value;
  } catch { /* reported below */ }
  throw malformed(provider, data, "a malformed stream event");
}

/** A non-negative integer token count, or 0 when the provider left it out. */
export function tokens(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}
