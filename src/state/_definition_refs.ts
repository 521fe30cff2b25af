import { KilnError } from "../core/mod.ts";
import { bundleSchema, schemaIssues } from "../schema/mod.ts";
import type { DefinitionIssue } from "./definitions.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";

const REGISTRY = "component_registry.yaml";
const PROMPT_FILE = /^prompts\/[^/]+\.ya?ml$/;
const WORKFLOW_FILE = /^workflows\/[^/]+\.ya?ml$/;
const KNOWN_FILES = [
  "app_definition.yaml",
  REGISTRY,
  "security_config.yaml",
  "optimization_config.yaml",
];

const SCHEMA_FILE = /\.json$/;

/** The files whose parsed content `referenceIssues` looks at, out of all the paths of a tree. */
export function referenceSources(paths: Iterable<string>): string[] {
  return [...paths].filter((p) =>
    p === REGISTRY || PROMPT_FILE.test(p) || WORKFLOW_FILE.test(p) ||
    (SCHEMA_FILE.test(p) && !p.startsWith("_jit_code/"))
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
  scriptText: (path: string) => string | undefined = () => undefined,
): DefinitionIssue[] {
  const all = new Set(paths);
  const issues: DefinitionIssue[] = [];
  for (const known of KNOWN_FILES) {
    // A known file pushed as a folder would silently read as absent (no components at all).
    if ([...all].some((p) => p.startsWith(`${known}/`))) {
      issues.push({ path: known, message: `expected a file; found a folder ${known}/` });
    }
  }
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
      const problem = exportProblem(task.script, task.function, scriptText);
      if (problem) {
        issues.push({ path: REGISTRY, field: `${at}.taskDetails.function`, message: problem });
      }
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
  const declared = (Array.isArray(components) ? components : []).map(objectOf)
    .filter((c): c is Record<string, unknown> => c !== undefined);
  for (const path of all) {
    if (!WORKFLOW_FILE.test(path)) continue;
    issues.push(...stepTargetIssues(path, "steps", objectOf(parsed(path))?.steps, declared, 0));
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

/**
 * `jit` and `llm` steps run a component of the app: the one they name by id, or the one that
 * declares the script and function (or prompt template) they name. A target no component
 * matches would fail every run with COMPONENT_NOT_FOUND; it is refused here instead.
 */
function stepTargetIssues(
  path: string,
  at: string,
  steps: unknown,
  components: Record<string, unknown>[],
  depth: number,
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const map = objectOf(steps);
  if (!map || depth > 16) return issues;
  for (const [id, raw] of Object.entries(map)) {
    const step = objectOf(raw);
    const target = objectOf(step?.target);
    if (!step || !target) continue;
    const field = `${at}.${id}.target`;
    if (step.type === "control") {
      for (const [name, branch] of Object.entries(objectOf(target.branches) ?? {})) {
        const steps = objectOf(branch)?.steps;
        issues.push(
          ...stepTargetIssues(
            path,
            `${field}.branches.${name}.steps`,
            steps,
            components,
            depth + 1,
          ),
        );
      }
      const iterator = objectOf(target.iterator)?.steps;
      issues.push(
        ...stepTargetIssues(path, `${field}.iterator.steps`, iterator, components, depth + 1),
      );
      continue;
    }
    if (step.type !== "jit" && step.type !== "llm") continue;
    const problem = targetProblem(step.type, target, components);
    if (problem) issues.push({ path, field, message: problem });
  }
  return issues;
}

function targetProblem(
  type: "jit" | "llm",
  target: Record<string, unknown>,
  components: Record<string, unknown>[],
): string | null {
  if (typeof target.componentId === "string") {
    return components.some((c) => c.componentId === target.componentId)
      ? null
      : `componentId ${JSON.stringify(target.componentId)} is not declared in ` +
        `component_registry.yaml`;
  }
  const task = (c: Record<string, unknown>) => objectOf(c.taskDetails) ?? {};
  if (type === "jit" && typeof target.script === "string") {
    const found = components.some((c) =>
      c.handlerType === "jit" && task(c).script === target.script &&
      task(c).function === target.function
    );
    return found
      ? null
      : `expected a jit component in component_registry.yaml running script ${
        JSON.stringify(target.script)
      } function ${
        JSON.stringify(target.function)
      }; found none (declare one, or name a componentId)`;
  }
  if (type === "llm" && typeof target.promptTemplate === "string") {
    const found = components.some((c) =>
      c.handlerType === "llm" && task(c).promptTemplate === target.promptTemplate
    );
    return found ? null : `expected an llm component in component_registry.yaml using ` +
      `promptTemplate ${JSON.stringify(target.promptTemplate)}; found none (declare one, or ` +
      `name a componentId)`;
  }
  return null;
}

/** The scripts jit components run, as paths in `state/` (what `scriptText` is asked for). */
export function scriptPaths(registry: unknown): string[] {
  const components = objectOf(registry)?.components;
  const out = new Set<string>();
  for (const c of Array.isArray(components) ? components : []) {
    const script = objectOf(objectOf(c)?.taskDetails)?.script;
    if (objectOf(c)?.handlerType !== "jit" || typeof script !== "string") continue;
    const [path] = candidates(script, []);
    if (path) out.add(path);
  }
  return [...out];
}

/** Names every object has: `module[name]` finds them on any module, so none is an export. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Why `script` cannot export `fn`, or null when it may: the name is inherited by every object,
 * or appears in no export of the script. Scripts that re-export (`export *`) or destructure
 * exports are not second-guessed; the build reports those.
 */
function exportProblem(
  script: unknown,
  fn: unknown,
  scriptText: (path: string) => string | undefined,
): string | null {
  if (typeof fn !== "string") return null;
  if (INHERITED.has(fn)) {
    return `expected the name of a function the script exports; found ${
      JSON.stringify(fn)
    }, which every object has`;
  }
  if (typeof script !== "string") return null;
  const [path] = candidates(script, []);
  // Only JavaScript and TypeScript modules have `export`s to look for.
  if (path === undefined || !/\.(m?[jt]s|[jt]sx)$/.test(path)) return null;
  const text = scriptText(path);
  if (text === undefined || /\bexport\s*\*|\bexport\s+(const|let|var)\s*[{[]/.test(text)) {
    return null;
  }
  if (fn === "default" && /\bexport\s+default\b/.test(text)) return null;
  if (declaredExports(text).has(fn) || listedExports(text).has(fn)) return null;
  return `expected ${JSON.stringify(script)} to export a function ${JSON.stringify(fn)}; ` +
    `found no such export`;
}

/** Names of `export function|const|let|var|class NAME` declarations; one linear pass. */
function declaredExports(text: string): Set<string> {
  const names = new Set<string>();
  const re = /\bexport\s+(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s*([A-Za-z_$][\w$]*)/g;
  for (const m of text.matchAll(re)) names.add(m[1]);
  return names;
}

/**
 * Names exported by `export { a, b as c }` lists. Each list is cut at its own closing brace
 * and the scan goes on after it, so text of any shape costs one pass.
 */
function listedExports(text: string): Set<string> {
  const names = new Set<string>();
  const open = /\bexport\s*(?:type\s*)?\{/g;
  for (let m = open.exec(text); m !== null; m = open.exec(text)) {
    const close = text.indexOf("}", open.lastIndex);
    if (close < 0) break;
    for (const part of text.slice(open.lastIndex, close).split(",")) {
      const words = part.trim().split(/\s+/);
      const name = words[words.length - 1];
      if (name) names.add(name.replace(/^["']|["']$/g, ""));
    }
    open.lastIndex = close + 1;
  }
  return names;
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
