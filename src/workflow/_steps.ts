/**
 * What each step type does once its inputs are known: `jit` and `llm` go to the component
 * invoker, `mcp` to the MCP invoker, and `control` subtypes run here or fan out (`_fanout.ts`).
 */
import type { JsonValue } from "../core/mod.ts";
import { type Frame, StepFailed, type WalkGraph } from "./_frame.ts";
import { mapStep, parallelStep, subworkflowStep } from "./_fanout.ts";
import { sleep } from "./_timers.ts";
import { StepDeltas } from "./_deltas.ts";
import type { CompiledStep } from "./types.ts";

/**
 * Runs one attempt of `step` with `input`; `startedAt` lets a resumed `wait` keep its deadline,
 * and `walk` runs the graphs a fan-out step holds.
 */
export async function executeStep(
  step: CompiledStep,
  input: Record<string, JsonValue>,
  frame: Frame,
  signal: AbortSignal,
  startedAt: number,
  walk: WalkGraph,
): Promise<JsonValue> {
  const { run, workflow } = frame;
  const target = step.def.target;
  const stepId = frame.prefix + step.id;
  switch (step.def.type) {
    case "jit":
    case "llm": {
      const deltas = step.def.type === "llm"
        ? new StepDeltas({ runId: run.runId, stepId }, frame.deps.timers, frame.deps.emit)
        : null;
      try {
        return await frame.deps.components.invoke({
          appId: run.appId,
          revision: run.revision,
          workflowId: workflow.workflowId,
          runId: run.runId,
          stepId,
          type: step.def.type,
          target,
          input,
          signal,
          ...(deltas ? { onDelta: deltas.listener } : {}),
        });
      } finally {
        deltas?.close();
      }
    }
    case "mcp":
      return await frame.deps.mcp.call({
        appId: run.appId,
        workflowId: run.workflowId,
        runId: run.runId,
        stepId,
        tool: target.tool as string,
        ...(typeof target.server === "string" ? { server: target.server } : {}),
        args: input,
        coreTools: workflow.coreTools,
        configuration: (run.context.configuration ?? {}) as Record<string, unknown>,
        signal,
      });
  }
  const control = step.control!;
  switch (control.subtype) {
    case "formatResponse":
      return {
        resultType: control.resultType,
        data: control.resultType === "httpResponse" ? httpResponse(input) : input,
      };
    case "choice":
    case "succeed":
      return input;
    case "wait": {
      const remaining = control.durationMs - (frame.deps.timers.now() - startedAt);
      await sleep(frame.deps.timers, remaining, signal);
      return { waitedMs: control.durationMs };
    }
    case "fail":
      throw new StepFailed({
        code: control.code,
        message: control.message,
        ...(Object.keys(input).length ? { details: input } : {}),
      }, stepId);
    case "parallel":
      return await parallelStep(step, frame, signal, walk);
    case "map":
      return await mapStep(step, frame, signal, walk);
    case "subworkflow":
      return await subworkflowStep(step, input, frame, signal, walk);
  }
}

/** An `httpResponse` whose `body` is JSON rather than text is sent as JSON. */
function httpResponse(input: Record<string, JsonValue>): JsonValue {
  if (input.body === undefined || input.body === null || typeof input.body === "string") {
    return input;
  }
  const headers = (input.headers ?? {}) as Record<string, JsonValue>;
  const typed = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  return {
    ...input,
    headers: typed ? headers : { ...headers, "content-type": "application/json" },
    body: JSON.stringify(input.body),
  };
}
