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
  LlmParams,
  LlmProvider,
  Provenance,
  ProviderRequest,
  ProviderResult,
  ResponseFormat,
  StreamEvent,
  TokenUsage,
} from "./types.ts";
