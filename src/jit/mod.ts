/**
 * The JIT (SPEC §9): component scripts to code a sandbox tier runs (the runner), and the loop
 * that hardens hot, stable llm components into generated code — sampling, the oracle, generation,
 * the gate, activation, shadow checks and rollback.
 */
export { JitRunner } from "./jit_runner.ts";
export type { CodeRequest, JitStats, JitTask } from "./jit_runner.ts";
export { IIFE_GLOBAL, SDK_MODULE } from "./_bundler.ts";
export { generatedTask } from "./activation.ts";
export type { GeneratedTask } from "./activation.ts";
export { sameOutput, wilsonLowerBound } from "./agreement.ts";
export { runGate } from "./gate.ts";
export type { CandidateFiles, GateCase, GateRun, GateSandbox, SliceResult } from "./gate.ts";
export { decide } from "./report.ts";
export type { GateReport } from "./report.ts";
export { JitService } from "./jit_service.ts";
export type { JitComponentStatus, JitServiceOptions } from "./jit_service.ts";
export { ServingHooks } from "./serving_hooks.ts";
export type { JitMetrics } from "./serving_hooks.ts";
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
