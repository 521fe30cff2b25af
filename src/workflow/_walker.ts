/**
 * Walks a graph of steps: evaluates each step's inputs, runs it under its retry policy, records
 * its output as `steps.<id>.output`, and follows transitions — the list form (first true
 * condition) or the routing form (`onSuccess`, conditional `onFailure`, `onFailureDefault`).
 * A failure no transition handles ends the walk with a StepFailed naming the step.
 */
import { inSpan, isTracing, type JsonValue } from "../core/mod.ts";
import { attempts } from "./_attempts.ts";
import { type Frame, scopeOf, StepFailed, type WalkEnd } from "./_frame.ts";
import { executeStep } from "./_steps.ts";
import { abortError } from "./_timers.ts";
import type { CompiledGraph, CompiledStep, StepError } from "./types.ts";

/** Checkpoint hooks of the top-level walk; nested walks have none. */
export interface WalkHooks {
  /** Before a step runs (the engine persists in-flight markers here). */
  started?(step: CompiledStep, startedAt: number): Promise<void>;
  /** After a step settled and before the next starts: `next` absent means the walk ends. */
  settled?(step: CompiledStep, next: string | undefined): Promise<void>;
}

/** Walks `graph` from `from` (default `startAt`) to a terminal step. */
export async function walk(
  graph: CompiledGraph,
  frame: Frame,
  hooks: WalkHooks = {},
  from: string = graph.startAt,
  resumedStartedAt?: number,
): Promise<WalkEnd> {
  let id: string | undefined = from;
  let startedAt = resumedStartedAt;
  for (let count = 1;; count++) {
    if (frame.signal.aborted) throw abortError(frame.signal);
    if (count > frame.deps.limits.maxSteps) {
      throw new StepFailed({
        code: "WORKFLOW_FAILED",
        message: `the run took more than ${frame.deps.limits.maxSteps} steps; stopped at "${id}"`,
      }, frame.prefix + id);
    }
    const step: CompiledStep = graph.steps.get(id!)!;
    const began = startedAt ?? frame.deps.timers.now();
    startedAt = undefined;
    await hooks.started?.(step, began);
    let output: JsonValue;
    try {
      const run = (signal: AbortSignal) => {
        const input = evaluateInputs(step, frame);
        if (!isTracing) return executeStep(step, input, frame, signal, began, walk);
        // One span per attempt: the component, tool or nested walk it runs hangs below it.
        return inSpan(`kiln.workflow.step ${frame.prefix + step.id}`, {
          "kiln.app_id": frame.run.appId,
          "kiln.workflow.id": frame.workflow.workflowId,
          "kiln.workflow.run_id": frame.run.runId,
          "kiln.workflow.step_id": frame.prefix + step.id,
          "kiln.workflow.step_type": step.control?.subtype ?? step.def.type,
        }, () => executeStep(step, input, frame, signal, began, walk));
      };
      output = step.control?.subtype === "fail"
        ? await run(frame.signal)
        : await attempts(frame, step, run, began);
    } catch (err) {
      if (frame.signal.aborted || !(err instanceof StepFailed)) throw err;
      id = routeFailure(step, frame, err.error);
      await hooks.settled?.(step, id);
      continue;
    }
    frame.steps[step.id] = { output };
    if (step.terminal) {
      await hooks.settled?.(step, undefined);
      return { step, output };
    }
    id = routeSuccess(step, frame, output);
    await hooks.settled?.(step, id);
  }
}

/**
 * Records `error` as the step's output and answers the step that handles it; throws StepFailed
 * naming the step when none does.
 */
export function routeFailure(step: CompiledStep, frame: Frame, error: StepError): string {
  const output = { error } as unknown as JsonValue;
  frame.steps[step.id] = { output };
  const t = step.transitions;
  if (t.kind === "routing") {
    for (const entry of t.onFailure) {
      if (condition(step, frame, entry.condition, output)) return entry.nextStep;
    }
    if (t.onFailureDefault) return t.onFailureDefault;
  }
  const name = frame.prefix + step.id;
  throw new StepFailed(
    { ...error, message: `step "${name}" failed: ${error.message}` },
    name,
  );
}

function routeSuccess(step: CompiledStep, frame: Frame, output: JsonValue): string {
  const t = step.transitions;
  if (t.kind === "routing") return t.onSuccess!;
  if (t.kind === "list") {
    for (const entry of t.entries) {
      if (!entry.condition || condition(step, frame, entry.condition, output)) {
        return entry.nextStep;
      }
    }
  }
  throw new StepFailed({
    code: "WORKFLOW_FAILED",
    message: `step "${frame.prefix + step.id}" matched no transition`,
  }, frame.prefix + step.id);
}

function condition(
  step: CompiledStep,
  frame: Frame,
  expr: { evaluate(scope: Record<string, unknown>): JsonValue; source: string },
  output: JsonValue,
): boolean {
  try {
    return expr.evaluate(scopeOf(frame, output)) === true;
  } catch (err) {
    const e = err as { code?: string; message: string; details?: JsonValue };
    throw new StepFailed(
      {
        code: e.code ?? "EXPRESSION_ERROR",
        message: `step "${frame.prefix + step.id}": ${e.message}`,
        ...(e.details === undefined ? {} : { details: e.details }),
      },
      frame.prefix + step.id,
    );
  }
}

function evaluateInputs(step: CompiledStep, frame: Frame): Record<string, JsonValue> {
  const scope = scopeOf(frame);
  const input: Record<string, JsonValue> = {};
  for (const [key, expr] of step.inputs) input[key] = expr.evaluate(scope);
  return input;
}
