/**
 * Drives one run to its end with durable checkpoints: a marker before each step that must not
 * silently repeat (and before `wait`, whose deadline must survive a restart), the step's result
 * and the next step after it. Resuming reads the checkpoint: a `wait` keeps its deadline, an
 * interrupted non-repeatable step fails with STEP_INTERRUPTED (and may be routed), anything else
 * continues at the next step.
 */
import type { JsonValue } from "../core/mod.ts";
import {
  type Frame,
  type FrameDeps,
  record,
  stepError,
  StepFailed,
  type WalkEnd,
} from "./_frame.ts";
import { routeFailure, walk } from "./_walker.ts";
import type { RunStore } from "./run_store.ts";
import type { CompiledStep, CompiledWorkflow, RunRecord } from "./types.ts";

/**
 * Aborting a run with this reason leaves it running in the store, to resume after a restart or
 * on the node that takes its lease over.
 */
export const SHUTDOWN = Symbol("shutdown");

/** Runs (or resumes) `run` to its end; resolves with the final record. */
export async function driveRun(
  run: RunRecord,
  workflow: CompiledWorkflow,
  deps: FrameDeps,
  store: Pick<RunStore, "save">,
  signal: AbortSignal,
): Promise<RunRecord> {
  const frame: Frame = {
    deps,
    run,
    workflow,
    trigger: run.trigger,
    steps: Object.fromEntries(Object.entries(run.outputs).map(([id, output]) => [id, { output }])),
    extra: {},
    prefix: "",
    signal,
    depth: 0,
  };
  const save = async () => {
    run.updatedAt = deps.timers.now();
    await store.save(run);
  };
  const hooks = {
    started: async (step: CompiledStep, startedAt: number) => {
      if (step.repeatable && step.control?.subtype !== "wait") return;
      run.inFlight = { stepId: step.id, startedAt };
      await save();
    },
    settled: async (step: { id: string }, next: string | undefined) => {
      run.outputs[step.id] = frame.steps[step.id]?.output ?? null;
      delete run.inFlight;
      if (next) run.next = next;
      else delete run.next;
      if (next) await save();
    },
  };
  try {
    let from = run.next ?? workflow.startAt;
    let resumedAt: number | undefined;
    const pending = run.inFlight && workflow.steps.get(run.inFlight.stepId);
    if (run.inFlight && pending) {
      if (pending.control?.subtype === "wait") {
        from = pending.id;
        resumedAt = run.inFlight.startedAt;
      } else if (!pending.repeatable) {
        const error = {
          code: "STEP_INTERRUPTED",
          message: `step "${pending.id}" is not safe to repeat and was interrupted by a restart`,
        };
        const now = deps.timers.now();
        record(frame, {
          stepId: pending.id,
          attempt: 1,
          status: "interrupted",
          startedAt: run.inFlight.startedAt,
          endedAt: now,
          error,
        });
        from = routeFailure(pending, frame, error);
        await hooks.settled(pending, from);
      } else {
        from = pending.id;
      }
    }
    return await finish(run, await walk(workflow, frame, hooks, from, resumedAt), deps, save);
  } catch (err) {
    if (signal.aborted && signal.reason === SHUTDOWN) return run;
    if (signal.aborted) {
      run.status = "cancelled";
      run.error = { code: "CANCELLED", message: "the run was cancelled" };
    } else {
      const error = stepError(err);
      run.status = "failed";
      run.error = {
        ...error,
        ...(err instanceof StepFailed && err.stepId ? { stepId: err.stepId } : {}),
      };
    }
    run.result = { resultType: "error", data: run.error as unknown as JsonValue };
    return await end(run, deps, save);
  }
}

function finish(
  run: RunRecord,
  last: WalkEnd,
  deps: FrameDeps,
  save: () => Promise<void>,
): Promise<RunRecord> {
  run.status = "succeeded";
  const out = last.output as {
    resultType?: "generic" | "httpResponse" | "error";
    data?: JsonValue;
  };
  run.result = last.step.control?.subtype === "formatResponse"
    ? { resultType: out.resultType ?? "generic", data: out.data ?? null }
    : { resultType: "generic", data: last.output };
  return end(run, deps, save);
}

async function end(run: RunRecord, deps: FrameDeps, save: () => Promise<void>): Promise<RunRecord> {
  delete run.next;
  delete run.inFlight;
  run.endedAt = deps.timers.now();
  await save();
  deps.emit({
    type: "run",
    runId: run.runId,
    status: run.status,
    at: run.endedAt,
    ...(run.error ? { error: run.error } : {}),
  });
  return run;
}
