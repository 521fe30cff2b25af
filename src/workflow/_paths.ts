/**
 * The path checks of a compiled graph, over its success and failure edges: known targets,
 * reachability from `startAt`, and a way to an end from everywhere reachable.
 */
import type { CompiledStep, WorkflowIssue } from "./types.ts";

/** Every edge of a step as [field, target]. */
function edges(step: CompiledStep): [string, string][] {
  const t = step.transitions;
  if (t.kind === "list") return t.entries.map((e, i) => [`transitions[${i}].nextStep`, e.nextStep]);
  if (t.kind === "none") return [];
  const out: [string, string][] = [];
  if (t.onSuccess) out.push(["transitions.onSuccess", t.onSuccess]);
  t.onFailure.forEach((e, i) => out.push([`transitions.onFailure[${i}].nextStep`, e.nextStep]));
  if (t.onFailureDefault) out.push(["transitions.onFailureDefault", t.onFailureDefault]);
  return out;
}

/**
 * Checks the shape of a graph: every `nextStep` names a step, every step is reachable from
 * `startAt`, and from every reachable step some path reaches a terminal step.
 */
export function checkPaths(
  startAt: string,
  steps: Map<string, CompiledStep>,
  ctx: { file: string; issues: WorkflowIssue[]; prefix: string },
): void {
  const push = (step: string, field: string | undefined, message: string) =>
    ctx.issues.push({
      file: ctx.file,
      step: ctx.prefix + step,
      ...(field ? { field } : {}),
      message,
    });
  const reverse = new Map<string, string[]>();
  for (const [id, step] of steps) {
    for (const [field, to] of edges(step)) {
      if (!steps.has(to)) push(id, field, `nextStep names unknown step "${to}"`);
      else reverse.set(to, [...(reverse.get(to) ?? []), id]);
    }
  }
  const reached = walk(
    [startAt],
    (id) => edges(steps.get(id)!).map(([, to]) => to).filter((to) => steps.has(to)),
  );
  for (const id of steps.keys()) {
    if (!reached.has(id)) {
      push(id, undefined, `step "${id}" is unreachable from startAt "${startAt}"`);
    }
  }
  const ends = [...steps.values()].filter((s) => s.terminal).map((s) => s.id);
  const finishing = walk(ends, (id) => reverse.get(id) ?? []);
  for (const id of reached) {
    if (!finishing.has(id)) {
      push(id, undefined, `no path from step "${id}" reaches a step with end: true`);
    }
  }
}

function walk(from: string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set<string>(from);
  const queue = [...from];
  while (queue.length > 0) {
    for (const to of next(queue.pop()!)) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}
