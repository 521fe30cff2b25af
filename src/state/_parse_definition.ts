import {
  describeYamlProblem,
  jsonTextDepth,
  LIMITS,
  parseYamlValue,
  prescanYaml,
} from "../core/mod.ts";
import type { DefinitionIssue } from "./definitions.ts";

/** A parsed file: `value` is undefined when `issues` is not empty. */
export interface Parsed {
  value: unknown;
  issues: DefinitionIssue[];
}

/**
 * Parses YAML within the definition budgets (size, tokens, nesting, aliases): a bomb is refused
 * before it costs real time or memory, and the issue names the budget it crossed. Syntax
 * errors, unknown tags, several documents and duplicate keys are issues with their line.
 */
export function parseYaml(path: string, content: string): Parsed {
  const { value, problems } = parseYamlValue(content);
  if (problems.length === 0) return { value, issues: [] };
  return {
    value: undefined,
    issues: problems.map((p) => ({
      path,
      message: describeYamlProblem(p),
      ...(p.limit ? { limit: p.limit } : {}),
    })),
  };
}

/**
 * The budget problem of a YAML definition, found without holding the event loop (see
 * `prescanYaml`); null for other files and for YAML within budget.
 */
export async function yamlBudgetIssue(
  path: string,
  content: string,
): Promise<DefinitionIssue | null> {
  if (!/\.ya?ml$/.test(path)) return null;
  const p = await prescanYaml(content);
  return p?.limit ? { path, message: describeYamlProblem(p), limit: p.limit } : null;
}

/** Parses JSON after a one-pass nesting check (JSON Schemas are compiled recursively). */
export function parseJson(path: string, content: string): Parsed {
  const max = LIMITS["json.depth"];
  if (jsonTextDepth(content, max) > max) {
    return {
      value: undefined,
      issues: [{ path, message: `the JSON nests deeper than ${max} levels`, limit: "json.depth" }],
    };
  }
  try {
    return { value: JSON.parse(content), issues: [] };
  } catch (err) {
    return {
      value: undefined,
      issues: [{ path, message: `invalid JSON: ${(err as Error).message}` }],
    };
  }
}
