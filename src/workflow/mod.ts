/** The workflow engine (contract §7): YAML workflows, CEL expressions, durable runs. */

// The engine and its run records.
export { WorkflowEngine } from "./engine.ts";
export type { RunEvent } from "./types.ts";

// Loading and checking workflows; the expression language.
export { loadWorkflow, workflowDefinitionIssues } from "./loader.ts";
export { TARGETS as STEP_TARGETS } from "./_targets.ts";

// The seams, and how a Kiln node fills them.
export type { ComponentInvoker } from "./seams.ts";
export { createWorkflowEngine } from "./kiln_engine.ts";
export type { WorkflowSettings } from "./kiln_engine.ts";
export { routerComponentInvoker } from "./router_invoker.ts";
export { workflowHandler } from "./workflow_handler.ts";
