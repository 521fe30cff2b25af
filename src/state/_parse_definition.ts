import { parseDocument } from "yaml";
import type { DefinitionIssue } from "./definitions.ts";

/** YAML limits for definitions: alias bombs, duplicate keys and sloppy syntax are errors. */
export const YAML_LIMITS = { maxAliasCount: 50, strict: true, uniqueKeys: true } as const;

/** A parsed file: `value` is undefined when `issues` is not empty. */
export interface Parsed {
  value: unknown;
  issues: DefinitionIssue[];
}

/**
 * Parses YAML with the safety limits. Errors and warnings (unknown tags included) are issues; an
 * alias bomb fails on expansion, before it can use real memory or time.
 */
export function parseYaml(path: string, content: string): Parsed {
  const doc = parseDocument(content, { ...YAML_LIMITS, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      value: undefined,
      issues: problems.map((e) => ({ path, message: firstLine(e.message) })),
    };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }), issues: [] };
  } catch (err) {
    const message = err instanceof ReferenceError && /alias/i.test(err.message)
      ? `too many YAML alias expansions (limit ${YAML_LIMITS.maxAliasCount}): ${err.message}`
      : firstLine((err as Error).message);
    return { value: undefined, issues: [{ path, message }] };
  }
}

/** Parses JSON; a syntax error is an issue. */
export function parseJson(path: string, content: string): Parsed {
  try {
    return { value: JSON.parse(content), issues: [] };
  } catch (err) {
    return {
      value: undefined,
      issues: [{ path, message: `invalid JSON: ${(err as Error).message}` }],
    };
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/:\s*$/, "");
}
