/** Kiln's LLM gateway (contract §6 `core.llm.generate`, §8 prompt templates): the public face. */
export type { LlmTimers } from "./timers.ts";
export { LlmGateway } from "./gateway.ts";
export { llmConfigFromEnv } from "./profiles.ts";
export type { LlmConfig } from "./profiles.ts";
export { canonicalJson, parseCassette } from "./cassette.ts";
export type { Cassette } from "./cassette.ts";
export { LlmRunner } from "./llm_runner.ts";
export { llmHandler } from "./llm_handler.ts";
