import {
  describeYamlProblem,
  jsonTextShape,
  parseYamlValue,
  parseYamlValueAsync,
  shapeMessage,
  type YamlProblem,
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
  return parsed(path, parseYamlValue(content));
}

/**
 * {@link parseYaml} with the budget pass in event-loop slices: for YAML Kiln did not write, so a
 * large or hostile file costs other requests nothing.
 */
export async function parseYamlAsync(path: string, content: string): Promise<Parsed> {
  return parsed(path, await parseYamlValueAsync(content));
}

function parsed(path: string, r: { value?: unknown; problems: YamlProblem[] }): Parsed {
  if (r.problems.length === 0) return { value: r.value, issues: [] };
  return {
    value: undefined,
    issues: r.problems.map((p) => ({
      path,
      message: describeYamlProblem(p),
      ...(p.limit ? { limit: p.limit } : {}),
    })),
  };
}

/** Parses JSON after a one-pass nesting check (JSON Schemas are compiled recursively). */
export function parseJson(path: string, content: string): Parsed {
  const { over } = jsonTextShape(content);
  if (over) {
    return {
      value: undefined,
      issues: [{ path, message: shapeMessage("the JSON", over), limit: over }],
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
