import { KilnError, quote } from "../core/mod.ts";
import { bodyError } from "./_http_call.ts";
import {
  HttpPlumbing,
  type HttpProviderOptions,
  malformed,
  parseEvent,
  tokens,
} from "./_http_provider.ts";
import { parseSse } from "./_sse.ts";
import type {
  CallOptions,
  ChatMessage,
  LlmProvider,
  ProviderRequest,
  ProviderResult,
  StreamEvent,
} from "./types.ts";

export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires `max_tokens`; this is used when neither caller nor profile sets it. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/**
 * The Anthropic Messages wire format (`POST /messages`), with and without streaming. System
 * turns become the top-level `system` field; consecutive turns of one role are merged, as the
 * API requires alternation. Structured output relies on the gateway's instructions and checks.
 */
export class AnthropicProvider implements LlmProvider {
  readonly #http: HttpPlumbing;

  constructor(opts: HttpProviderOptions) {
    this.#http = new HttpPlumbing("anthropic", opts);
  }

  get name(): string {
    return this.#http.name;
  }

  async complete(req: ProviderRequest, opts: CallOptions = {}): Promise<ProviderResult> {
    const body = await this.#http.json(this.#call(req, false, opts.signal)) as {
      content?: { type?: string; text?: unknown }[];
      usage?: Record<string, unknown>;
      model?: unknown;
      stop_reason?: unknown;
    };
    if (!Array.isArray(body?.content)) {
      throw malformed(this.name, JSON.stringify(body), "no content blocks");
    }
    return {
      text: body.content.filter((b) => b.type === "text" && typeof b.text === "string")
        .map((b) => b.text).join(""),
      usage: {
        promptTokens: tokens(body.usage?.input_tokens),
        completionTokens: tokens(body.usage?.output_tokens),
      },
      model: typeof body.model === "string" ? body.model : req.model,
      finishReason: typeof body.stop_reason === "string" ? body.stop_reason : null,
      provenance: { kind: "live", provider: this.name },
    };
  }

  async *stream(req: ProviderRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const call = this.#call(req, true, opts.signal);
    const open = await this.#http.open(call);
    let text = "";
    let model = req.model;
    let finishReason: string | null = null;
    const usage = { promptTokens: 0, completionTokens: 0 };
    try {
      for await (const sse of parseSse(open.response.body!, open.touch)) {
        if (sse.event === "ping") continue;
        const ev = parseEvent(this.name, sse.data);
        const type = ev.type ?? sse.event;
        if (type === "error") {
          const e = ev.error as { message?: unknown } | undefined;
          throw new KilnError(
            "LLM_PROVIDER_ERROR",
            `provider ${quote(this.name)} failed mid-stream: ${quote(e?.message ?? ev)}`,
            { provider: this.name, error: ev.error },
          );
        }
        if (type === "message_start") {
          const m = ev.message as { model?: unknown; usage?: Record<string, unknown> } | undefined;
          if (typeof m?.model === "string") model = m.model;
          usage.promptTokens = tokens(m?.usage?.input_tokens);
          usage.completionTokens = tokens(m?.usage?.output_tokens);
        } else if (type === "content_block_delta") {
          const d = ev.delta as { type?: string; text?: unknown } | undefined;
          if (d?.type === "text_delta" && typeof d.text === "string" && d.text !== "") {
            text += d.text;
            yield { type: "delta", text: d.text };
          }
        } else if (type === "message_delta") {
          const d = ev.delta as { stop_reason?: unknown } | undefined;
          if (typeof d?.stop_reason === "string") finishReason = d.stop_reason;
          const u = ev.usage as Record<string, unknown> | undefined;
          if (u?.output_tokens !== undefined) usage.completionTokens = tokens(u.output_tokens);
        } else if (type === "message_stop") break;
      }
    } catch (err) {
      throw bodyError(call, err);
    } finally {
      open.done();
    }
    yield {
      type: "done",
      result: {
        text,
        usage,
        model,
        finishReason,
        provenance: { kind: "live", provider: this.name },
      },
    };
  }

  #call(req: ProviderRequest, stream: boolean, signal?: AbortSignal) {
    const key = this.#http.apiKey;
    const system = req.messages.filter((m) => m.role === "system").map((m) => m.content);
    const { max_tokens, ...rest } = req.parameters;
    return this.#http.call(
      "/messages",
      { "anthropic-version": ANTHROPIC_VERSION, ...(key ? { "x-api-key": key } : {}) },
      {
        ...rest,
        model: req.model,
        max_tokens: max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        ...(system.length ? { system: system.join("\n\n") } : {}),
        messages: alternate(req.messages.filter((m) => m.role !== "system")),
        ...(stream ? { stream: true } : {}),
      },
      signal,
    );
  }
}

/** Merges consecutive turns of one role, since the Messages API wants them alternating. */
function alternate(messages: ChatMessage[]): { role: string; content: string }[] {
  const out: { role: string; content: string }[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content += `\n\n${m.content}`;
    else out.push({ role: m.role, content: m.content });
  }
  return out;
}
