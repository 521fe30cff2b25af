/**
 * The JIT loop (SPEC §9): hardens hot, stable llm components into generated code — sampling,
 * the oracle, generation, the gate, activation, shadow checks and rollback — and the handler
 * kinds that serve generated code with LLM fallback and sample llm answers.
 */
export { generatedTask } from "./activation.ts";
export type { GeneratedTask } from "./activation.ts";
export { sameOutput, wilsonLowerBound } from "./agreement.ts";
export { runGate } from "./gate.ts";
export type { CandidateFiles, GateCase, GateRun, GateSandbox, SliceResult } from "./gate.ts";
export { decide } from "./report.ts";
export type { GateReport } from "./report.ts";
export { JitService } from "./jit_service.ts";
export type { JitComponentStatus, JitServiceOptions } from "./jit_service.ts";
export { JitHooks } from "./jit_hooks.ts";
export type { JitHooksDeps, JitMetrics } from "./jit_hooks.ts";
export { generatedCode } from "./generated_handler.ts";
export type { GeneratedCodeDeps } from "./generated_handler.ts";
export { sampled } from "./sampled_handler.ts";
export { jitScopes } from "./jit_records.ts";
export type {
  AuditEntry,
  JitComponentRecord,
  JitGeneration,
  JitProgressEvent,
} from "./jit_records.ts";
export { outputStability, SampleStore } from "./sample_store.ts";
export type { Sample } from "./sample_store.ts";
export { effectiveRules, Oracle } from "./oracle.ts";
export type { OracleDecision, OracleMetrics, OracleOptions, WindowSummary } from "./oracle.ts";
export { llmDefinition } from "./generator.ts";
