/** The workflow engine (SPEC §7): YAML workflows, CEL expressions, durable runs. */
export { WorkflowEngine } from "./engine.ts";
export type { StartOptions, WorkflowEngineOptions } from "./engine.ts";
export { checkWorkflow, invalidWorkflow, loadWorkflow } from "./loader.ts";
export type { WorkflowIssue } from "./loader.ts";
export { compileExpression, EXPRESSION_ROOTS, toJson } from "./expression.ts";
export type { Expression, Scope } from "./expression.ts";
export { RunStore } from "./run_store.ts";
export type { RunFilter, RunSummary } from "./run_store.ts";
export type {
  AppView,
  ComponentCall,
  ComponentInvoker,
  McpCall,
  McpInvoker,
  WorkflowSource,
} from "./seams.ts";
export type {
  CompiledWorkflow,
  RunEvent,
  RunRecord,
  RunResult,
  RunStatus,
  StepError,
  TraceEntry,
} from "./types.ts";
export { systemTimers } from "./_timers.ts";
export type { Timers } from "./_timers.ts";
