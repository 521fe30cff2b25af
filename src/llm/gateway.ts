import {
  inSpan,
  isTracing,
  KilnError,
  type Logger,
  quote,
  silentLogger,
  SpanKind,
} from "../core/mod.ts";
import type { MetricSink } from "../metrics/mod.ts";
import { buildProvider } from "./_provider_factory.ts";
import type { Cassette } from "./cassette.ts";
import { costUsd, priceOf } from "./pricing.ts";
import { type LlmConfig, type ModelProfile, resolveProfile } from "./profiles.ts";
import { checkJson, outputInvalid, repairTurns, withInstruction } from "./structured_output.ts";
import { type LlmTimers, systemTimers } from "./timers.ts";
import { UsageMeter } from "./usage_meter.ts";
import type {
  CallOptions,
  ChatMessage,
  GenerateOptions,
  Generation,
  LlmParams,
  LlmProvider,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
} from "./types.ts";

/**
 * The revision schemas passed to `core.llm.generate` are scoped under: they come with the call,
 * not from a definition, but still compile apart from every other app's.
 */
const CALL_SCHEMAS = "core.llm.generate";

/** One `core.llm.generate` call, already authorized for `appId`. */
export interface GenerateRequest {
  appId: string;
  componentId?: string;
  /** A profile name; default the app's `llm.model`, else `default`. */
  model?: string;
  messages: ChatMessage[];
  parameters?: LlmParams;
  /** The answer must be JSON satisfying this schema. */
  outputSchema?: Record<string, unknown>;
  /** The answer must be JSON (of any shape). */
  json?: boolean;
}

/** A call resolved to its profile, provider and provider request. */
interface Prepared {
  name: string;
  profile: ModelProfile;
  provider: LlmProvider;
  request: ProviderRequest;
}

/** What the gateway is built from. */
export interface GatewayOptions {
  config: LlmConfig;
  /** Embedded cassettes the `replay` profiles answer from. */
  cassettes?: Cassette[];
  /** Where API keys are read, by the profile's `apiKeyEnv` name. */
  secret?: (name: string) => string | undefined;
  /** The app's configured default model (`llm.model`, component over app over global). */
  appModel?: (appId: string, componentId?: string) => string | undefined;
  timers?: LlmTimers;
  logger?: Logger;
  /** Builds a profile's provider; replaceable so tests can count calls. */
  providerFor?: (name: string, profile: ModelProfile) => LlmProvider;
  /** Where calls, tokens, cost and latency are pushed. */
  metrics?: MetricSink;
}

/**
 * The LLM gateway every tier reaches through `core.llm.generate`: it resolves the model
 * profile (apps choose among host-configured profiles, never URLs or keys), merges parameters,
 * asks for and checks structured output (one repair retry, then LLM_OUTPUT_INVALID), prices the
 * call, meters it per app and logs it. Providers behind it do the wire work with their own
 * timeouts and retries.
 */
export class LlmGateway {
  readonly #o: GatewayOptions;
  readonly #log: Logger;
  readonly #providers = new Map<string, LlmProvider>();
  readonly meter = new UsageMeter();

  constructor(opts: GatewayOptions) {
    this.#o = opts;
    this.#log = (opts.logger ?? silentLogger).with({ component: "llm" });
  }

  /**
   * Runs one completion; with a schema (or `json`), the completion is the validated value. Under
   * OTel it is one CLIENT span by the GenAI semantic conventions (`chat <model>`), with tokens and
   * cost; the provider's HTTP call (which carries `traceparent`) is its child.
   */
  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<Generation> {
    const prepared = this.#prepare(req);
    if (!isTracing) return await this.#generate(req, opts, prepared);
    const { name, profile } = prepared;
    return await inSpan(`chat ${profile.model}`, {
      "gen_ai.operation.name": "chat",
      "gen_ai.system": profile.provider,
      "gen_ai.provider.name": profile.provider,
      "gen_ai.request.model": profile.model,
      "kiln.llm.profile": name,
      "kiln.app_id": req.appId,
      ...(req.componentId ? { "kiln.component_id": req.componentId } : {}),
    }, async (span) => {
      const gen = await this.#generate(req, opts, prepared);
      span?.setAttributes({
        "gen_ai.response.model": gen.model,
        "gen_ai.usage.input_tokens": gen.usage.promptTokens,
        "gen_ai.usage.output_tokens": gen.usage.completionTokens,
        "kiln.llm.cost_usd": gen.usage.costUsd,
        "kiln.llm.provenance": gen.provenance.kind,
        "kiln.llm.attempts": gen.attempts,
      });
      return gen;
    }, { kind: SpanKind.CLIENT });
  }

  async #generate(
    req: GenerateRequest,
    opts: GenerateOptions,
    { name, profile, provider, request }: Prepared,
  ): Promise<Generation> {
    const started = performance.now();
    const usage = { promptTokens: 0, completionTokens: 0 };
    let result: ProviderResult | undefined;
    let attempts = 0;
    let completion: unknown;
    let messages = request.messages;
    try {
      for (;;) {
        attempts++;
        result = opts.onDelta
          ? await streamed(provider, { ...request, messages }, opts, attempts)
          : await provider.complete({ ...request, messages }, opts);
        usage.promptTokens += result.usage.promptTokens;
        usage.completionTokens += result.usage.completionTokens;
        if (request.format.type === "text") {
          completion = result.text;
          break;
        }
        const check = checkJson(
          result.text,
          request.format.type === "json_schema" ? request.format.schema : undefined,
          { appId: req.appId, revision: CALL_SCHEMAS },
        );
        if (check.ok) {
          completion = check.value;
          break;
        }
        if (attempts >= 2) throw outputInvalid(result.text, check.issues, attempts);
        messages = [...request.messages, ...repairTurns(result.text, check.issues)];
      }
    } catch (err) {
      this.#log.warn("llm call failed", {
        appId: req.appId,
        profile: name,
        attempts,
        code: err instanceof KilnError ? err.code : "INTERNAL",
        error: String((err as Error)?.message ?? err),
      });
      throw err;
    }
    const gen = this.#finish(req, name, profile, result!, usage, attempts, completion, started);
    return gen;
  }

  /**
   * Streams one completion: text deltas, then the finished Generation. Structured output is
   * checked at the end (no repair: the text has already been streamed).
   */
  async *stream(
    req: GenerateRequest,
    opts: CallOptions = {},
  ): AsyncGenerator<{ type: "delta"; text: string } | { type: "done"; generation: Generation }> {
    const started = performance.now();
    const { name, profile, provider, request } = this.#prepare(req);
    for await (const event of provider.stream(request, opts)) {
      if (event.type === "delta") {
        yield event;
        continue;
      }
      const result = event.result;
      let completion: unknown = result.text;
      if (request.format.type !== "text") {
        const check = checkJson(
          result.text,
          request.format.type === "json_schema" ? request.format.schema : undefined,
          { appId: req.appId, revision: CALL_SCHEMAS },
        );
        if (!check.ok) throw outputInvalid(result.text, check.issues, 1);
        completion = check.value;
      }
      yield {
        type: "done",
        generation: this.#finish(req, name, profile, result, result.usage, 1, completion, started),
      };
    }
  }

  #prepare(req: GenerateRequest): Prepared {
    const { name, profile } = resolveProfile(
      this.#o.config,
      req.appId,
      req.model,
      this.#o.appModel?.(req.appId, req.componentId),
    );
    const format: ResponseFormat = req.outputSchema
      ? { type: "json_schema", schema: req.outputSchema }
      : req.json
      ? { type: "json" }
      : { type: "text" };
    const request: ProviderRequest = {
      model: profile.model,
      messages: withInstruction(req.messages, format),
      parameters: { ...profile.parameters, ...req.parameters },
      format,
    };
    return { name, profile, provider: this.#provider(name, profile), request };
  }

  #finish(
    req: GenerateRequest,
    name: string,
    profile: ModelProfile,
    result: ProviderResult,
    usage: { promptTokens: number; completionTokens: number },
    attempts: number,
    completion: unknown,
    started: number,
  ): Generation {
    const price = profile.price ?? priceOf(this.#o.config.prices ?? {}, profile.model) ??
      priceOf(this.#o.config.prices ?? {}, result.model);
    const gen: Generation = {
      completion,
      text: result.text,
      usage: { ...usage, costUsd: costUsd(price, usage) },
      profile: name,
      model: result.model,
      provenance: result.provenance,
      attempts,
    };
    this.meter.record(req.appId, name, gen);
    this.#push(req, profile.model, gen, performance.now() - started);
    this.#log.info("llm call", {
      appId: req.appId,
      ...(req.componentId ? { componentId: req.componentId } : {}),
      profile: name,
      model: gen.model,
      provenance: gen.provenance.kind,
      attempts,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      costUsd: gen.usage.costUsd,
      ...(price ? {} : { unpriced: true }),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
    return gen;
  }

  /**
   * One successful call into the metric sink. Replayed calls are priced too (what they would have
   * cost live), so the oracle sees cost on recorded traffic; `kiln.llm.calls` tells them apart.
   */
  #push(req: GenerateRequest, model: string, gen: Generation, ms: number): void {
    const m = this.#o.metrics;
    if (!m) return;
    const base = { appId: req.appId, componentId: req.componentId, model };
    m.add("kiln.llm.calls", 1, { ...base, provenance: gen.provenance.kind });
    m.add("kiln.llm.tokens", gen.usage.promptTokens, { ...base, kind: "prompt" });
    m.add("kiln.llm.tokens", gen.usage.completionTokens, { ...base, kind: "completion" });
    m.add("kiln.llm.cost_usd", gen.usage.costUsd, base);
    m.observe("kiln.llm.duration_ms", ms, base);
  }

  #provider(name: string, profile: ModelProfile): LlmProvider {
    let provider = this.#providers.get(name);
    if (provider) return provider;
    provider = this.#o.providerFor?.(name, profile) ??
      buildProvider(name, profile, {
        cassettes: this.#o.cassettes ?? [],
        recordDir: this.#o.config.recordDir,
        secret: this.#o.secret,
        timers: this.#o.timers ?? systemTimers,
        log: this.#log,
      });
    this.#providers.set(name, provider);
    return provider;
  }
}

/**
 * One attempt through the provider's stream, each delta passed on as it arrives. A throwing
 * listener (a budget crossed, a caller gone) ends the loop, which closes the provider's stream.
 */
async function streamed(
  provider: LlmProvider,
  request: ProviderRequest,
  opts: GenerateOptions,
  attempt: number,
): Promise<ProviderResult> {
  const recording = provider.name === "replay";
  for await (const event of provider.stream(request, opts.signal ? { signal: opts.signal } : {})) {
    if (event.type === "done") return event.result;
    opts.onDelta!({ text: event.text, attempt, recording });
  }
  throw new KilnError(
    "LLM_PROVIDER_ERROR",
    `provider ${quote(provider.name)} ended its stream early`,
    {
      provider: provider.name,
    },
  );
}
