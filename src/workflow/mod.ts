/** The workflow engine (SPEC §7): YAML workflows, CEL expressions, durable runs. */

// The engine and its run records.
export { WorkflowEngine } from "./engine.ts";
export type { StartOptions, WorkflowEngineOptions } from "./engine.ts";
export { RunStore } from "./run_store.ts";
export type { RunFilter, RunSummary } from "./run_store.ts";
export { DEFAULT_RUN_LIMITS } from "./_frame.ts";
export type { RunLimits } from "./_frame.ts";
export { systemTimers } from "./_timers.ts";
export type { Timers } from "./_timers.ts";
export type {
  CompiledWorkflow,
  RunEvent,
  RunRecord,
  RunResult,
  RunStatus,
  StepError,
  TraceEntry,
} from "./types.ts";

// Loading and checking workflows; the expression language.
export {
  checkWorkflow,
  checkWorkflowValue,
  invalidWorkflow,
  loadWorkflow,
  workflowDefinitionIssues,
} from "./loader.ts";
export type { WorkflowIssue } from "./loader.ts";
export { compileExpression, EXPRESSION_ROOTS, toJson } from "./expression.ts";
export type { Expression, Scope } from "./expression.ts";
export { TARGETS as STEP_TARGETS } from "./_targets.ts";

// The seams, and how a Kiln node fills them.
export type {
  AppView,
  ComponentCall,
  ComponentInvoker,
  McpCall,
  McpInvoker,
  WorkflowSource,
} from "./seams.ts";
export { createWorkflowEngine } from "./kiln_engine.ts";
export type { KilnWorkflowDeps, WorkflowSettings } from "./kiln_engine.ts";
export { registryWorkflowSource } from "./workflow_source.ts";
export { findComponent, routerComponentInvoker } from "./router_invoker.ts";
export type { ComponentRouter } from "./router_invoker.ts";
export { triggerOf, workflowComponentRunner } from "./component_runner.ts";
export type { WorkflowComponentCall, WorkflowComponentRunner } from "./component_runner.ts";
export { workflowHandler } from "./workflow_handler.ts";
export { mcpInvoker } from "./mcp_invoker.ts";
export type { McpInvokerDeps } from "./mcp_invoker.ts";
export { ExternalMcpServers, McpServerDeclaration } from "./mcp_servers.ts";
export type { ExternalMcpOptions } from "./mcp_servers.ts";
