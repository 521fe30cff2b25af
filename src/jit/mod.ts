/**
 * The JIT loop (contract §9): hardens hot, stable llm components into generated code — sampling,
 * the oracle, generation, the gate, activation, shadow checks and rollback — and the handler
 * kinds that serve generated code with LLM fallback and sample llm answers.
 */
export { sameOutput } from "./agreement.ts";
export { JitService } from "./jit_service.ts";
export { generatedCode } from "./generated_handler.ts";
export { sampled } from "./sampled_handler.ts";
export { jitScopes } from "./jit_records.ts";
export { Oracle } from "./oracle.ts";
export { SHADOW_TEST, ShadowTest } from "./shadow.ts";
