/**
 * The state one graph walk runs in: the values expressions see, the run it belongs to, and the
 * parts it calls. Nested graphs (branches, iterators, subworkflows) get child frames.
 */
import { type JsonValue, KilnError } from "../core/mod.ts";
import type { ComponentInvoker, McpInvoker, WorkflowSource } from "./seams.ts";
import type { Timers } from "./_timers.ts";
import type {
  CompiledGraph,
  CompiledStep,
  CompiledWorkflow,
  RunEvent,
  RunRecord,
  StepError,
  TraceEntry,
} from "./types.ts";

/** The engine's parts every frame reaches. */
export interface FrameDeps {
  timers: Timers;
  components: ComponentInvoker;
  mcp: McpInvoker;
  source: WorkflowSource;
  limits: RunLimits;
  emit(event: RunEvent): void;
}

/** One graph walk's state. */
export interface Frame {
  deps: FrameDeps;
  run: RunRecord;
  workflow: CompiledWorkflow;
  trigger: JsonValue;
  /** `steps.<id>.output` as expressions see it. */
  steps: Record<string, { output: JsonValue }>;
  /** `item` and `index` inside a map iterator. */
  extra: Record<string, JsonValue>;
  /** Prefix of this frame's step names in the trace. */
  prefix: string;
  signal: AbortSignal;
  depth: number;
}

/** Where a walk ended: the terminal step and its output. */
export interface WalkEnd {
  step: CompiledStep;
  output: JsonValue;
}

/**
 * Walks a nested graph (a branch, an iterator, a subworkflow) to its end. `_walker.ts` hands its
 * own `walk` down to the steps that fan out, so the recursion is a call, not an import cycle.
 */
export type WalkGraph = (graph: CompiledGraph, frame: Frame) => Promise<WalkEnd>;

/** A step failed with this error (app codes allowed, unlike KilnError). */
export class StepFailed extends Error {
  override readonly name = "StepFailed";
  constructor(readonly error: StepError, readonly stepId?: string) {
    super(error.message);
  }
}

/** Any thrown value as a step error. */
export function stepError(err: unknown): StepError {
  if (err instanceof StepFailed) return err.error;
  if (err instanceof KilnError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details as JsonValue }),
    };
  }
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

/** The scope of an expression evaluated in `frame`, with `step.output` when given. */
export function scopeOf(frame: Frame, stepOutput?: JsonValue): Record<string, unknown> {
  return {
    trigger: frame.trigger,
    steps: frame.steps,
    context: frame.run.context,
    workflow: {
      workflowId: frame.workflow.workflowId,
      runId: frame.run.runId,
      startedAt: frame.run.createdAt,
    },
    ...(stepOutput === undefined ? {} : { step: { output: stepOutput } }),
    ...frame.extra,
  };
}

/** Bounds on one run. */
export interface RunLimits {
  /** Steps one graph walk may run before it is stopped as a runaway loop (default 10 000). */
  maxSteps: number;
  /** Trace entries a run keeps; later ones are counted in `traceDropped` (default 2 000). */
  maxTrace: number;
}

/** The default {@link RunLimits}. */
export const DEFAULT_RUN_LIMITS: RunLimits = { maxSteps: 10_000, maxTrace: 2_000 };

/** Appends a trace entry and tells subscribers. */
export function record(frame: Frame, entry: TraceEntry): void {
  if (frame.run.trace.length < frame.deps.limits.maxTrace) frame.run.trace.push(entry);
  else frame.run.traceDropped = (frame.run.traceDropped ?? 0) + 1;
  frame.deps.emit({
    type: "step",
    runId: frame.run.runId,
    status: entry.status,
    stepId: entry.stepId,
    attempt: entry.attempt,
    at: entry.endedAt,
    ...(entry.error ? { error: entry.error } : {}),
  });
}

/** A child frame for a nested graph. */
export function childFrame(
  parent: Frame,
  prefix: string,
  over: Partial<Pick<Frame, "trigger" | "extra" | "workflow" | "signal" | "depth">> = {},
): Frame {
  const fresh = over.workflow !== undefined && over.workflow !== parent.workflow;
  return {
    ...parent,
    steps: fresh ? {} : { ...parent.steps },
    extra: parent.extra,
    prefix: `${parent.prefix}${prefix}`,
    ...over,
  };
}
