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
  LlmProvider,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
  StreamEvent,
} from "./types.ts";

/** How a server takes structured-output requests: not every OpenAI-compatible one knows both. */
export type OpenAiStructured = "json_schema" | "json_object" | "none";

export interface OpenAiOptions extends HttpProviderOptions {
  /** Default `json_schema` (OpenAI, vLLM, llama.cpp, LM Studio, Ollama ≥ 0.5). */
  structuredOutput?: OpenAiStructured;
}

/**
 * The OpenAI chat completions wire format (`POST /chat/completions`), which OpenAI, Ollama,
 * vLLM, the llama.cpp server and LM Studio all speak, with and without streaming.
 */
export class OpenAiProvider implements LlmProvider {
  readonly #http: HttpPlumbing;
  readonly #structured: OpenAiStructured;

  constructor(opts: OpenAiOptions) {
    this.#http = new HttpPlumbing("openai", opts);
    this.#structured = opts.structuredOutput ?? "json_schema";
  }

  get name(): string {
    return this.#http.name;
  }

  async complete(req: ProviderRequest, opts: CallOptions = {}): Promise<ProviderResult> {
    const body = await this.#http.json(this.#call(req, false, opts.signal));
    const choice =
      (body as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] })
        ?.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== "string") {
      throw malformed(this.name, JSON.stringify(body), "no message content");
    }
    const b = body as { model?: unknown; usage?: Record<string, unknown> };
    return {
      text: content,
      usage: {
        promptTokens: tokens(b.usage?.prompt_tokens),
        completionTokens: tokens(b.usage?.completion_tokens),
      },
      model: typeof b.model === "string" ? b.model : req.model,
      finishReason: typeof choice?.finish_reason === "string" ? choice.finish_reason : null,
      provenance: { kind: "live", provider: this.name },
    };
  }

  async *stream(req: ProviderRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const call = this.#call(req, true, opts.signal);
    const open = await this.#http.open(call);
    let text = "";
    let model = req.model;
    let finishReason: string | null = null;
    let usage = { promptTokens: 0, completionTokens: 0 };
    try {
      for await (const sse of parseSse(open.response.body!, open.touch)) {
        if (sse.data === "[DONE]") break;
        const chunk = parseEvent(this.name, sse.data);
        if (chunk.error) throw streamError(this.name, chunk.error);
        if (typeof chunk.model === "string") model = chunk.model;
        const u = chunk.usage as Record<string, unknown> | undefined;
        if (u) {
          usage = {
            promptTokens: tokens(u.prompt_tokens),
            completionTokens: tokens(u.completion_tokens),
          };
        }
        const choice = (chunk.choices as Record<string, unknown>[] | undefined)?.[0];
        const delta = (choice?.delta as { content?: unknown } | undefined)?.content;
        if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
        if (typeof delta === "string" && delta !== "") {
          text += delta;
          yield { type: "delta", text: delta };
        }
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
    return this.#http.call(
      "/chat/completions",
      key ? { authorization: `Bearer ${key}` } : {},
      {
        ...req.parameters,
        model: req.model,
        messages: req.messages,
        ...responseFormat(req.format, this.#structured),
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      },
      signal,
    );
  }
}

function responseFormat(format: ResponseFormat, mode: OpenAiStructured): Record<string, unknown> {
  if (format.type === "text" || mode === "none") return {};
  if (format.type === "json_schema" && mode === "json_schema") {
    return {
      response_format: {
        type: "json_schema",
        json_schema: { name: "output", schema: format.schema, strict: false },
      },
    };
  }
  return { response_format: { type: "json_object" } };
}

function streamError(provider: string, error: unknown): KilnError {
  const message = (error as { message?: unknown })?.message ?? error;
  return new KilnError(
    "LLM_PROVIDER_ERROR",
    `provider ${quote(provider)} failed mid-stream: ${quote(message)}`,
    { provider, error },
  );
}
