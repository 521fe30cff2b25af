/**
 * Compiles a graph of steps and checks it statically: targets per type, expressions, known
 * `nextStep`s, no unreachable steps, and every path ending at a terminal step. Problems are
 * collected (not thrown) so one load reports all of them, each naming its step and field.
 */
import type { WorkflowStep } from "../models/mod.ts";
import { compileExpression, type Expression } from "./expression.ts";
import { type GraphDef, TARGETS } from "./_targets.ts";
import { checkPaths } from "./_paths.ts";
import type {
  CompiledGraph,
  CompiledStep,
  CompiledTransitions,
  ControlTarget,
  WorkflowIssue,
} from "./types.ts";

/** What compiling one graph needs: where problems go, and what surrounds it. */
export interface GraphContext {
  file: string;
  issues: WorkflowIssue[];
  /** Steps of enclosing graphs, which nested steps may read. */
  outer: ReadonlySet<string>;
  /** Collects the core tools that `mcp` steps call. */
  coreTools: Set<string>;
  /** Prefix of nested step names in issues (`fan.a.`). */
  prefix: string;
}

/** Compiles `def`; every problem found lands in `ctx.issues`. */
export function compileGraph(def: GraphDef, ctx: GraphContext): CompiledGraph {
  const ids = new Set(Object.keys(def.steps));
  const visible = new Set([...ctx.outer, ...ids]);
  const steps = new Map<string, CompiledStep>();
  for (const [id, step] of Object.entries(def.steps)) {
    steps.set(id, compileStep(id, step, visible, ctx));
  }
  if (!ids.has(def.startAt)) {
    ctx.issues.push({
      file: ctx.file,
      field: `${ctx.prefix}startAt`,
      message: `startAt names unknown step "${def.startAt}"`,
    });
    return { startAt: def.startAt, steps };
  }
  checkPaths(def.startAt, steps, ctx);
  return { startAt: def.startAt, steps };
}

function compileStep(
  id: string,
  def: WorkflowStep,
  visible: Set<string>,
  ctx: GraphContext,
): CompiledStep {
  const name = ctx.prefix + id;
  const issue = (field: string, message: string) =>
    ctx.issues.push({ file: ctx.file, step: name, field, message });
  const expr = (field: string, source: string): Expression | undefined => {
    try {
      const e = compileExpression(source);
      for (const ref of e.stepRefs) {
        if (!visible.has(ref)) {
          issue(field, `expression reads steps.${ref}, which is not a step here`);
        }
      }
      return e;
    } catch (err) {
      issue(field, (err as Error).message);
      return undefined;
    }
  };
  const inputs: [string, Expression][] = [];
  for (const [key, source] of Object.entries(def.inputMapping)) {
    const e = expr(`inputMapping.${key}`, source);
    if (e) inputs.push([key, e]);
  }
  const step: CompiledStep = {
    id,
    def,
    inputs,
    transitions: { kind: "none" },
    terminal: def.end,
    repeatable: def.safeToRepeat,
  };
  const target = TARGETS[def.type].safeParse(def.target);
  if (!target.success) {
    for (const i of target.error.issues) issue(["target", ...i.path].join("."), i.message);
  } else if (def.type === "mcp") {
    const t = target.data as { tool: string; server?: string };
    if (!t.server) ctx.coreTools.add(t.tool);
  } else if (def.type === "control") {
    compileControl(step, target.data as Record<string, unknown>, visible, ctx, expr);
  }
  step.transitions = compileTransitions(def, issue, expr);
  if (step.terminal && step.transitions.kind !== "none") {
    issue("transitions", `a terminal step has no transitions, but "${id}" declares some`);
  }
  if (!step.terminal && step.transitions.kind === "none") {
    issue("transitions", `step "${id}" has no transitions and is not end: true`);
  }
  if (step.control?.subtype === "choice" && step.transitions.kind === "routing") {
    issue("transitions", "a choice step takes the list form of transitions");
  }
  return step;
}

function compileControl(
  step: CompiledStep,
  target: Record<string, unknown>,
  visible: Set<string>,
  ctx: GraphContext,
  expr: (field: string, source: string) => Expression | undefined,
): void {
  const { branches, iterator, items, ...rest } = target;
  step.control = rest as unknown as ControlTarget;
  if (rest.subtype === "fail" || rest.subtype === "succeed") step.terminal = true;
  const nested = (key: string, graph: GraphDef) => {
    const compiled = compileGraph(graph, {
      ...ctx,
      outer: visible,
      prefix: `${ctx.prefix}${step.id}.${key}.`,
    });
    for (const s of compiled.steps.values()) if (!s.repeatable) step.repeatable = false;
    return compiled;
  };
  if (rest.subtype === "parallel") {
    step.graphs = new Map(
      Object.entries(branches as Record<string, GraphDef>).map(([k, g]) => [k, nested(k, g)]),
    );
  }
  if (rest.subtype === "map") {
    step.items = expr("target.items", items as string);
    step.graphs = new Map([["iterator", nested("iterator", iterator as GraphDef)]]);
  }
}

function compileTransitions(
  def: WorkflowStep,
  issue: (field: string, message: string) => void,
  expr: (field: string, source: string) => Expression | undefined,
): CompiledTransitions {
  const t = def.transitions;
  if (t === undefined) return { kind: "none" };
  if (Array.isArray(t)) {
    if (t.length === 0) return { kind: "none" };
    const entries = t.map((e, i) => ({
      nextStep: e.nextStep,
      ...(e.condition ? { condition: expr(`transitions[${i}].condition`, e.condition) } : {}),
    }));
    if (t[t.length - 1].condition !== undefined) {
      issue(
        `transitions[${t.length - 1}]`,
        "the last transition needs no condition, so some step always follows",
      );
    }
    return { kind: "list", entries };
  }
  if (!t.onSuccess && t.onFailure.length === 0 && !t.onFailureDefault) return { kind: "none" };
  if (!t.onSuccess) {
    issue("transitions.onSuccess", "onSuccess is missing, so a success leads nowhere");
  }
  return {
    kind: "routing",
    ...(t.onSuccess ? { onSuccess: t.onSuccess } : {}),
    onFailure: t.onFailure.flatMap((e, i) => {
      const condition = expr(`transitions.onFailure[${i}].condition`, e.condition);
      return condition ? [{ condition, nextStep: e.nextStep }] : [];
    }),
    ...(t.onFailureDefault ? { onFailureDefault: t.onFailureDefault } : {}),
  };
}
