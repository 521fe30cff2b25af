/** Kiln's LLM gateway (SPEC §6 `core.llm.generate`, §8 prompt templates): the public face. */
export { OpenAiProvider } from "./openai_provider.ts";
export type { OpenAiOptions, OpenAiStructured } from "./openai_provider.ts";
export { AnthropicProvider } from "./anthropic_provider.ts";
export type { HttpProviderOptions } from "./_http_provider.ts";
export { DEFAULT_RETRY } from "./retry_policy.ts";
export type { RetryPolicy } from "./retry_policy.ts";
export { systemTimers } from "./timers.ts";
export type { LlmTimers } from "./timers.ts";
export type {
  CallOptions,
  ChatMessage,
  Generation,
  LlmParams,
  LlmProvider,
  Provenance,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
  StreamEvent,
  TokenUsage,
} from "./types.ts";
export { LlmGateway } from "./gateway.ts";
export type { GatewayOptions, GenerateRequest } from "./gateway.ts";
export { DEFAULT_PROFILE, llmConfigFromEnv, parseLlmConfig, resolveProfile } from "./profiles.ts";
export type { LlmConfig, ModelProfile, ResolvedProfile } from "./profiles.ts";
export { costUsd, priceOf } from "./pricing.ts";
export type { ModelPrice, PriceTable } from "./pricing.ts";
export { canonicalJson, newCassette, parseCassette, requestKey } from "./cassette.ts";
export type { Cassette, CassetteEntry } from "./cassette.ts";
export { ReplayProvider } from "./replay_provider.ts";
export { RecordingProvider } from "./recording_provider.ts";
export { checkJson, checkValue, stripFence } from "./structured_output.ts";
export type { OutputCheck, OutputIssue, SchemaScope } from "./structured_output.ts";
export { UsageMeter } from "./usage_meter.ts";
export type { UsageStat } from "./usage_meter.ts";
export { formatHint } from "./prompt_template.ts";
export { parseOutput } from "./output_parsing.ts";
export { LlmRunner, promptPath } from "./llm_runner.ts";
export type { LlmRunnerOptions } from "./llm_runner.ts";
export { LLM_TASK_TOOLS, llmTaskCode } from "./llm_task_code.ts";
export { llmHandler } from "./llm_handler.ts";
export type { LlmHandlerDeps } from "./llm_handler.ts";
