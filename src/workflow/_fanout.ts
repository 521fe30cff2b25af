/**
 * Control steps that run graphs inside a step: `parallel` (every branch, optionally at most
 * `maxConcurrency` at once), `map` (the iterator once per item, at most `maxConcurrency` at
 * once) and `subworkflow` (another workflow of the app, at the run's revision). The first
 * failing branch or item fails the step and cancels the rest.
 */
import { type JsonValue, KilnError, quote } from "../core/mod.ts";
import { childFrame, type Frame, scopeOf, type WalkEnd, type WalkGraph } from "./_frame.ts";
import type { CompiledGraph, CompiledStep } from "./types.ts";

/** How deeply subworkflows may nest. */
export const MAX_SUBWORKFLOW_DEPTH = 8;
/** The most items one `map` step takes. */
export const MAX_MAP_ITEMS = 10_000;

/** A nested walk's answer: a formatResponse's `data`, or the terminal step's output. */
export function endValue(end: WalkEnd): JsonValue {
  if (end.step.control?.subtype === "formatResponse") {
    return (end.output as { data?: JsonValue }).data ?? null;
  }
  return end.output;
}

/** Runs `tasks` with at most `limit` in flight; the first rejection aborts `controller`. */
export async function limited<T>(
  limit: number,
  tasks: ((signal: AbortSignal) => Promise<T>)[],
  controller: AbortController,
): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !controller.signal.aborted) {
      const i = next++;
      results[i] = await tasks[i](controller.signal);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  } catch (err) {
    controller.abort(err);
    throw err;
  }
  return results;
}

function linked(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller;
}

/** `parallel`: `{<branch>: <its answer>}`. */
export async function parallelStep(
  step: CompiledStep,
  frame: Frame,
  signal: AbortSignal,
  walk: WalkGraph,
): Promise<JsonValue> {
  const graphs = [...step.graphs!];
  const limit = step.control?.subtype === "parallel" && step.control.maxConcurrency
    ? step.control.maxConcurrency
    : graphs.length;
  const results = await limited(
    limit,
    graphs.map(([name, graph]) => (s: AbortSignal) =>
      walk(graph, childFrame(frame, `${step.id}.${name}.`, { signal: s })).then(endValue)
    ),
    linked(signal),
  );
  return Object.fromEntries(graphs.map(([name], i) => [name, results[i]]));
}

/** `map`: the iterator's answer for each item, in item order. */
export async function mapStep(
  step: CompiledStep,
  frame: Frame,
  signal: AbortSignal,
  walk: WalkGraph,
): Promise<JsonValue> {
  const items = step.items!.evaluate(scopeOf(frame));
  if (!Array.isArray(items)) {
    throw new KilnError(
      "EXPRESSION_ERROR",
      `map items ${quote(step.items!.source)} gave ${quote(items)}, not a list`,
    );
  }
  if (items.length > MAX_MAP_ITEMS) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `map step ${quote(step.id)} got ${items.length} items; the limit is ${MAX_MAP_ITEMS}`,
    );
  }
  const graph: CompiledGraph = step.graphs!.get("iterator")!;
  const limit = step.control?.subtype === "map" ? step.control.maxConcurrency : 1;
  return await limited(
    limit,
    items.map((item, index) => (s: AbortSignal) =>
      walk(graph, childFrame(frame, `${step.id}[${index}].`, { signal: s, extra: { item, index } }))
        .then(endValue)
    ),
    linked(signal),
  );
}

/** `subworkflow`: the other workflow's answer, its `trigger.body` being this step's input. */
export async function subworkflowStep(
  step: CompiledStep,
  input: Record<string, JsonValue>,
  frame: Frame,
  signal: AbortSignal,
  walk: WalkGraph,
): Promise<JsonValue> {
  if (step.control?.subtype !== "subworkflow") throw new Error("not a subworkflow step");
  if (frame.depth >= MAX_SUBWORKFLOW_DEPTH) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `subworkflows nest deeper than ${MAX_SUBWORKFLOW_DEPTH} at step ${quote(step.id)}`,
    );
  }
  const workflow = await frame.deps.source.workflow(
    frame.run.appId,
    step.control.workflowId,
    frame.run.revision,
  );
  const child = childFrame(frame, `${step.id}.`, {
    workflow,
    trigger: { body: input, source: "internal" },
    extra: {},
    signal,
    depth: frame.depth + 1,
  });
  return endValue(await walk(workflow, child));
}
