import type { z } from "zod";
import { linearRegex } from "../core/mod.ts";
import {
  AppDefinition,
  ComponentRegistry,
  OptimizationConfig,
  PromptTemplate,
  SecurityConfig,
  WorkflowDefinition,
} from "../models/mod.ts";
import { schemaIssues } from "../schema/mod.ts";
import type { DefinitionIssue } from "./definitions.ts";
import { referenceIssues } from "./_definition_refs.ts";
import { type Parsed, parseJson, parseYaml } from "./_parse_definition.ts";
import { checkWorkflowValue } from "../workflow/loader.ts";

interface Known {
  schema: z.ZodType;
  /** What an empty document stands for; undefined means an empty file is an error. */
  empty?: unknown;
  check?: (appId: string, path: string, value: Record<string, unknown>) => DefinitionIssue[];
}

const TOP_LEVEL: Record<string, Known> = {
  "app_definition.yaml": { schema: AppDefinition, check: checkAppId },
  "component_registry.yaml": { schema: ComponentRegistry, empty: {} },
  "security_config.yaml": { schema: SecurityConfig, empty: {} },
  "optimization_config.yaml": { schema: OptimizationConfig, empty: {}, check: checkRedaction },
};
const PROMPT: Known = { schema: PromptTemplate };
const WORKFLOW: Known = {
  schema: WorkflowDefinition,
  // issue #7: the workflow engine's static checks (targets, expressions, paths) run at commit.
  check: (appId, path, value) => [
    ...checkWorkflowId(appId, path, value),
    ...checkWorkflowValue(path, value).issues.map((i) => ({
      path,
      ...(i.step || i.field
        ? { field: [i.step && `steps.${i.step}`, i.field].filter(Boolean).join(".") }
        : {}),
      message: i.message,
    })),
  ],
};

/**
 * Checks one definition file (path relative to `state/`) the way every commit is checked: YAML
 * parsed safely, known files against their zod schema, JSON Schemas compiled with ajv, any other
 * `.yaml`/`.yml`/`.json` at least parsed. Returns the problems found; empty means valid. A YAML
 * file already parsed (with `parseYamlAsync`) is passed as `yaml` and not parsed again.
 */
export function validateDefinitionFile(
  appId: string,
  path: string,
  content: string,
  yaml?: Parsed,
): DefinitionIssue[] {
  if (/\.schema\.json$/.test(path) && /^schemas\/[^/]+$/.test(path)) {
    return validateJsonSchema(path, content);
  }
  if (path.endsWith(".json")) return parseJson(path, content).issues;
  if (!/\.ya?ml$/.test(path)) return [];
  const { value, issues } = yaml ?? parseYaml(path, content);
  if (issues.length > 0) return issues;
  const known = knownFile(path);
  if (!known) return [];
  const input = value ?? known.empty;
  if (input === undefined || input === null) return [{ path, message: "the file is empty" }];
  const result = known.schema.safeParse(input);
  if (!result.success) {
    return result.error.issues.map((i) => ({
      path,
      field: i.path.map(String).join(".") || undefined,
      message: i.message,
    }));
  }
  return known.check?.(appId, path, input as Record<string, unknown>) ?? [];
}

/**
 * Checks a whole `state/` tree: every file, plus what only the set shows (an app definition
 * exists; components name scripts, prompts, workflows and schemas that exist).
 */
export function validateDefinitionSet(
  appId: string,
  files: ReadonlyMap<string, string>,
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  for (const [path, content] of files) issues.push(...validateDefinitionFile(appId, path, content));
  issues.push(...referenceIssues(files.keys(), (p) => {
    const text = files.get(p);
    return text === undefined ? undefined : parseYaml(p, text).value;
  }));
  return issues;
}

function validateJsonSchema(path: string, content: string): DefinitionIssue[] {
  const { value, issues } = parseJson(path, content);
  if (issues.length > 0) return issues;
  return schemaIssues(value).map((issue) => ({
    path,
    ...(issue.pointer ? { field: issue.pointer.slice(1).replaceAll("/", ".") } : {}),
    message: issue.message,
  }));
}

function knownFile(path: string): Known | undefined {
  if (path in TOP_LEVEL) return TOP_LEVEL[path];
  if (/^prompts\/[^/]+\.ya?ml$/.test(path)) return PROMPT;
  if (/^workflows\/[^/]+\.ya?ml$/.test(path)) return WORKFLOW;
  return undefined;
}

function checkAppId(
  appId: string,
  path: string,
  value: Record<string, unknown>,
): DefinitionIssue[] {
  if (value.appId === appId) return [];
  return [{
    path,
    field: "appId",
    message: `appId ${JSON.stringify(value.appId)} does not match the app ${JSON.stringify(appId)}`,
  }];
}

/** Redaction patterns run on the linear engine; one it cannot compile is refused at commit. */
function checkRedaction(
  _: string,
  path: string,
  value: Record<string, unknown>,
): DefinitionIssue[] {
  const rules = OptimizationConfig.parse(value).sampling.redact;
  return rules.flatMap((rule, i) => {
    if (!("pattern" in rule)) return [];
    try {
      linearRegex(rule.pattern, { flags: rule.flags });
      return [];
    } catch (err) {
      return [{ path, field: `sampling.redact.${i}.pattern`, message: (err as Error).message }];
    }
  });
}

function checkWorkflowId(
  _: string,
  path: string,
  value: Record<string, unknown>,
): DefinitionIssue[] {
  const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "");
  if (value.workflowId === base) return [];
  return [{
    path,
    field: "workflowId",
    message: `workflowId ${JSON.stringify(value.workflowId)} must equal the file name "${base}"`,
  }];
}
