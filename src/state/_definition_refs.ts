import { KilnError } from "../core/mod.ts";
import { bundleSchema, schemaIssues } from "../schema/mod.ts";
import type { DefinitionIssue } from "./definitions.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";

const REGISTRY = "component_registry.yaml";
const PROMPT_FILE = /^prompts\/[^/]+\.ya?ml$/;

const SCHEMA_FILE = /\.json$/;

/** The files whose parsed content `referenceIssues` looks at, out of all the paths of a tree. */
export function referenceSources(paths: Iterable<string>): string[] {
  return [...paths].filter((p) =>
    p === REGISTRY || PROMPT_FILE.test(p) || (SCHEMA_FILE.test(p) && !p.startsWith("_jit_code/"))
  );
}

/**
 * Problems only the whole tree shows: no app definition, or a component (or prompt) naming a
 * script, prompt template, workflow or schema file that is not there. `parsed` gives the parsed
 * YAML of a source file (undefined when it does not parse: its own validation reports that).
 */
export function referenceIssues(
  paths: Iterable<string>,
  parsed: (path: string) => unknown,
): DefinitionIssue[] {
  const all = new Set(paths);
  const issues: DefinitionIssue[] = [];
  if (!all.has("app_definition.yaml")) {
    issues.push({
      path: "app_definition.yaml",
      message: "the app has no state/app_definition.yaml",
    });
  }
  const missing = (path: string, field: string, what: string, value: string) =>
    issues.push({
      path,
      field,
      message: `${what} ${JSON.stringify(value)} does not exist in state/`,
    });
  const file = (path: string, field: string, what: string, value: unknown) => {
    if (typeof value !== "string" || value === "") return;
    if (!candidates(value.split("#")[0], []).some((c) => all.has(c))) {
      missing(path, field, what, value);
    }
  };
  const components = objectOf(parsed(REGISTRY))?.components;
  (Array.isArray(components) ? components : []).forEach((c, i) => {
    const component = objectOf(c);
    if (!component) return;
    const at = `components.${i}`;
    const task = objectOf(component.taskDetails) ?? {};
    if (component.handlerType === "jit") {
      file(REGISTRY, `${at}.taskDetails.script`, "script", task.script);
    }
    const prompt = task.promptTemplate;
    if (component.handlerType === "llm" && typeof prompt === "string") {
      const names = candidates(prompt, [`prompts/${prompt}.yaml`, `prompts/${prompt}.yml`]);
      if (!names.some((n) => all.has(n))) {
        missing(REGISTRY, `${at}.taskDetails.promptTemplate`, "prompt template", prompt);
      }
    }
    const workflow = task.workflowId;
    if (component.handlerType === "workflow" && typeof workflow === "string") {
      if (!all.has(`workflows/${workflow}.yaml`) && !all.has(`workflows/${workflow}.yml`)) {
        missing(REGISTRY, `${at}.taskDetails.workflowId`, "workflow", workflow);
      }
    }
    for (const field of ["inputSchema", "outputSchema"]) {
      file(REGISTRY, `${at}.${field}`, "schema", component[field]);
      compiles(REGISTRY, `${at}.${field}`, component[field]);
    }
  });
  for (const path of all) {
    if (!PROMPT_FILE.test(path)) continue;
    const ref = objectOf(parsed(path))?.outputSchema;
    file(path, "outputSchema", "schema", ref);
    compiles(path, "outputSchema", ref);
  }
  return issues;

  /**
   * A schema a definition uses must compile once the files it names are bundled into it; a
   * missing top file is reported by `file` above.
   */
  function compiles(path: string, field: string, ref: unknown): void {
    if (typeof ref !== "string" && !objectOf(ref)) return;
    if (typeof ref === "string" && parsed(ref.split("#")[0]) === undefined) return;
    try {
      const bundled = bundleSchema(
        ref as string | Record<string, unknown>,
        (p) => all.has(p) ? parsed(p) : undefined,
      );
      for (const issue of schemaIssues(bundled)) {
        issues.push({ path, field, message: `schema ${issue.message}` });
      }
    } catch (err) {
      if (!(err instanceof KilnError)) throw err;
      issues.push({ path, field, message: err.message });
    }
  }
}

function candidates(value: string, extra: string[]): string[] {
  const out = [...extra];
  try {
    out.unshift(normalizeDefinitionPath(value));
  } catch {
    // not a path inside state/: only the extra spellings can match
  }
  return out;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}
