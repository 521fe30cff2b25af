/**
 * Loads `state/workflows/<id>.yaml`: YAML with the definition limits, the zod model, then the
 * static checks of `_graph.ts`. A workflow that loads is one the engine can run to an end.
 */
import { KilnError, parseYamlValue } from "../core/mod.ts";
import { type DefinitionIssue, WorkflowDefinition } from "../models/mod.ts";
import { compileGraph } from "./_graph.ts";
import type { CompiledWorkflow, WorkflowIssue } from "./types.ts";

export type { WorkflowIssue } from "./types.ts";

/**
 * Parses and checks a workflow file; VALIDATION_ERROR whose message names the file, step and
 * field of the first problem, with every problem in `details.issues`.
 */
export function loadWorkflow(file: string, content: string): CompiledWorkflow {
  const { workflow, issues } = checkWorkflow(file, content);
  if (!workflow) throw invalidWorkflow(file, issues);
  return workflow;
}

/** Like {@link loadWorkflow}, but answers the problems instead of throwing (for validators). */
export function checkWorkflow(
  file: string,
  content: string,
): { workflow?: CompiledWorkflow; issues: WorkflowIssue[] } {
  // The definition budgets (size, tokens, nesting, aliases) hold here too.
  const { value: raw, problems } = parseYamlValue(content);
  if (problems.length > 0) {
    return {
      issues: problems.map((p) => ({
        file,
        ...(p.line !== undefined ? { field: `line ${p.line}` } : {}),
        message: p.message,
      })),
    };
  }
  return checkWorkflowValue(file, raw);
}

/**
 * The checks of {@link checkWorkflow} on an already parsed document, for the definition
 * validator that refuses invalid workflows at commit time.
 */
export function checkWorkflowValue(
  file: string,
  raw: unknown,
): { workflow?: CompiledWorkflow; issues: WorkflowIssue[] } {
  const parsed = WorkflowDefinition.safeParse(raw);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => {
        const [head, id, ...rest] = i.path.map(String);
        return head === "steps" && id !== undefined
          ? {
            file,
            step: id,
            ...(rest.length ? { field: rest.join(".") } : {}),
            message: i.message,
          }
          : { file, ...(i.path.length ? { field: i.path.join(".") } : {}), message: i.message };
      }),
    };
  }
  const issues: WorkflowIssue[] = [];
  const coreTools = new Set<string>();
  const graph = compileGraph(parsed.data, {
    file,
    issues,
    outer: new Set(),
    coreTools,
    prefix: "",
  });
  if (issues.length > 0) return { issues };
  return {
    workflow: {
      ...graph,
      workflowId: parsed.data.workflowId,
      file,
      definition: parsed.data,
      coreTools: [...coreTools].sort(),
    },
    issues,
  };
}

/**
 * The engine's static checks (targets, expressions, paths) as definition issues, the checker
 * `kiln.ts` hands the definition store so an invalid workflow is refused at commit.
 */
export function workflowDefinitionIssues(
  path: string,
  value: Record<string, unknown>,
): DefinitionIssue[] {
  return checkWorkflowValue(path, value).issues.map((i) => ({
    path,
    ...(i.step || i.field
      ? { field: [i.step && `steps.${i.step}`, i.field].filter(Boolean).join(".") }
      : {}),
    message: i.message,
  }));
}

/** The error for a workflow that does not load. */
export function invalidWorkflow(file: string, issues: WorkflowIssue[]): KilnError {
  const first = issues[0] ?? { file, message: "invalid workflow" };
  const where = [
    first.file,
    first.step ? `step "${first.step}"` : "",
    first.field ? `field "${first.field}"` : "",
  ].filter(Boolean).join(", ");
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new KilnError("VALIDATION_ERROR", `invalid workflow: ${where}: ${first.message}${more}`, {
    issues,
  });
}
