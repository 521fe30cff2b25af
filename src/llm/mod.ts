/** Kiln's LLM gateway (contract §6 `core.llm.generate`, §8 prompt templates): the public face. */
export type { LlmTimers } from "./timers.ts";
export { LlmGateway } from "./gateway.ts";
export { llmConfigFromEnv } from "./profiles.ts";
export type { LlmConfig, ModelProfile } from "./profiles.ts";
export type { LlmProvider } from "./types.ts";
export { ReplayProvider } from "./replay_provider.ts";
export { canonicalJson, parseCassette } from "./cassette.ts";
export type { Cassette } from "./cassette.ts";
export { LlmRunner } from "./llm_runner.ts";
export { llmHandler } from "./llm_handler.ts";
