/**
 * The shapes the workflow engine shares between its parts: compiled workflows (what the loader
 * produces), run records (what the store keeps) and the seams the composition root fills in.
 */
import type { WorkflowDefinition, WorkflowStep } from "../models/mod.ts";
import type { JsonValue } from "../core/mod.ts";
import type { Expression } from "./expression.ts";

/** How a step leaves, compiled: the ordered list form or the success/failure form. */
export type CompiledTransitions =
  | { kind: "list"; entries: { condition?: Expression; nextStep: string }[] }
  | {
    kind: "routing";
    onSuccess?: string;
    onFailure: { condition: Expression; nextStep: string }[];
    onFailureDefault?: string;
  }
  | { kind: "none" };

/** A step ready to run: its definition, compiled expressions and nested graphs. */
export interface CompiledStep {
  id: string;
  def: WorkflowStep;
  inputs: [string, Expression][];
  transitions: CompiledTransitions;
  /** `end: true`, or a `fail` / `succeed` control step. */
  terminal: boolean;
  /** False when the step, or any step nested in it, is not safe to repeat. */
  repeatable: boolean;
  /** The parsed control target (`subtype` and its fields); absent for other step types. */
  control?: ControlTarget;
  /** `parallel` branches or the `map` iterator, compiled. */
  graphs?: Map<string, CompiledGraph>;
  /** The `map` items expression. */
  items?: Expression;
}

/** A graph of steps: a workflow, a parallel branch or a map iterator. */
export interface CompiledGraph {
  startAt: string;
  steps: Map<string, CompiledStep>;
}

/** A loaded, statically checked workflow. */
export interface CompiledWorkflow extends CompiledGraph {
  workflowId: string;
  file: string;
  definition: WorkflowDefinition;
  /** Core MCP tools the workflow's `mcp` steps call: what its execution token allows. */
  coreTools: string[];
}

/** A control step's target, after validation. */
export type ControlTarget =
  | { subtype: "formatResponse"; resultType: "generic" | "httpResponse" | "error" }
  | { subtype: "choice" }
  | { subtype: "wait"; durationMs: number }
  | { subtype: "fail"; code: string; message: string }
  | { subtype: "succeed" }
  | { subtype: "parallel"; maxConcurrency?: number }
  | { subtype: "map"; maxConcurrency: number }
  | { subtype: "subworkflow"; workflowId: string };

/** A step's or run's failure as stored and shown: codes may be the app's own. */
export interface StepError {
  code: string;
  message: string;
  details?: JsonValue;
}

/** One attempt of one step, as the run's trace shows it. */
export interface TraceEntry {
  /** The step id; nested steps read `<step>.<branch>.<id>` or `<step>[<index>].<id>`. */
  stepId: string;
  attempt: number;
  status: "succeeded" | "failed" | "retrying" | "interrupted";
  startedAt: number;
  endedAt: number;
  error?: StepError;
  nextStep?: string;
}

/** The lifecycle of a run. */
export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

/** What a finished run answers: the `/execute` result shape. */
export interface RunResult {
  resultType: "generic" | "httpResponse" | "error";
  data: JsonValue;
}

/** A durable run: the checkpoint the engine resumes from and the history the API shows. */
export interface RunRecord {
  runId: string;
  appId: string;
  workflowId: string;
  revision: string;
  status: RunStatus;
  trigger: JsonValue;
  context: Record<string, JsonValue>;
  idempotencyKey?: string;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  /** The next top-level step to run; absent once the run has ended. */
  next?: string;
  /** A step that was started but whose result is not checkpointed yet (only when it matters). */
  inFlight?: { stepId: string; startedAt: number };
  outputs: Record<string, JsonValue>;
  trace: TraceEntry[];
  /** Trace entries left out past the cap (long loops, large maps). */
  traceDropped?: number;
  result?: RunResult;
  error?: StepError & { stepId?: string };
}

/** One step-progress event, as subscribers and the SSE stream see it. */
export interface RunEvent {
  /** `step.delta`: a piece of an llm step's streamed text (`_deltas.ts`), status `running`. */
  type: "step" | "run" | "step.delta";
  runId: string;
  status: TraceEntry["status"] | RunStatus;
  stepId?: string;
  attempt?: number;
  at: number;
  error?: StepError;
  /** `step.delta`: the text since the previous delta event of the step. */
  text?: string;
  /** `step.delta`: 2 when the model's first answer failed its schema and the text starts over. */
  llmAttempt?: number;
  /** `step.delta`: the step streamed its cap; the rest of its text shows only in its output. */
  truncated?: boolean;
}

/** One problem in a workflow file. */
export interface WorkflowIssue {
  file: string;
  step?: string;
  field?: string;
  message: string;
}
