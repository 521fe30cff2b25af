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
import type { DefinitionCheckers, DefinitionKind } from "./definition_checkers.ts";

interface Known {
  schema: z.ZodType;
  /** What an empty document stands for; undefined means an empty file is an error. */
  empty?: unknown;
  check?: (appId: string, path: string, value: Record<string, unknown>) => DefinitionIssue[];
  /** The kind whose handed-in checker runs after `check`. */
  kind?: DefinitionKind;
}

const TOP_LEVEL: Record<string, Known> = {
  "app_definition.yaml": { schema: AppDefinition, check: checkAppId },
  "component_registry.yaml": { schema: ComponentRegistry, empty: {}, kind: "componentRegistry" },
  "security_config.yaml": { schema: SecurityConfig, empty: {} },
  "optimization_config.yaml": { schema: OptimizationConfig, empty: {}, check: checkRedaction },
};
const PROMPT: Known = { schema: PromptTemplate };
const WORKFLOW: Known = { schema: WorkflowDefinition, check: checkWorkflowId, kind: "workflow" };

/** What {@link validateDefinitionFile} may be handed besides the content. */
export interface ValidateOptions {
  /** The YAML document already parsed (with `parseYamlAsync`), so it is not parsed again. */
  yaml?: Parsed;
  /** The checks of the layers above, by definition kind (the workflow engine's, at commit). */
  checkers?: DefinitionCheckers;
}

/** The kind of a definition file whose handed-in checker runs on it, if any. */
export function definitionKind(path: string): DefinitionKind | undefined {
  return /\.ya?ml$/.test(path) ? knownFile(path)?.kind : undefined;
}

/**
 * Checks one definition file (path relative to `state/`) the way every commit is checked: YAML
 * parsed safely, known files against their zod schema, JSON Schemas compiled with ajv, any other
 * `.yaml`/`.yml`/`.json` at least parsed, then the handed-in checker of the file's kind. Returns
 * the problems found; empty means valid.
 */
export function validateDefinitionFile(
  appId: string,
  path: string,
  content: string,
  opts: ValidateOptions = {},
): DefinitionIssue[] {
  if (/\.schema\.json$/.test(path) && /^schemas\/[^/]+$/.test(path)) {
    return validateJsonSchema(path, content);
  }
  if (path.endsWith(".json")) return parseJson(path, content).issues;
  if (!/\.ya?ml$/.test(path)) return [];
  const { value, issues } = opts.yaml ?? parseYaml(path, content);
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
      message: issueMessage(i, input),
    }));
  }
  const own = known.check?.(appId, path, input as Record<string, unknown>) ?? [];
  const kindCheck = known.kind && opts.checkers?.[known.kind];
  return [...own, ...(kindCheck?.(path, input as Record<string, unknown>) ?? [])];
}

/**
 * Checks a whole `state/` tree: every file, plus what only the set shows (an app definition
 * exists; components name scripts, prompts, workflows and schemas that exist).
 */
export function validateDefinitionSet(
  appId: string,
  files: ReadonlyMap<string, string>,
  checkers: DefinitionCheckers = {},
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  for (const [path, content] of files) {
    issues.push(...validateDefinitionFile(appId, path, content, { checkers }));
  }
  issues.push(...referenceIssues(files.keys(), (p) => {
    const text = files.get(p);
    return text === undefined ? undefined : parseYaml(p, text).value;
  }, (p) => files.get(p)));
  return issues;
}

interface ZodIssueLike {
  code: string;
  message: string;
  path: PropertyKey[];
  errors?: ZodIssueLike[][];
}

/**
 * A schema problem a person can act on: what was expected and what was found. zod says
 * "Invalid input" for a value no alternative of a union takes; that names each alternative's
 * first complaint instead.
 */
function issueMessage(issue: ZodIssueLike, input: unknown): string {
  const found = `found ${describeValue(valueAt(input, issue.path))}`;
  if (issue.code === "invalid_union" && issue.errors?.length) {
    const options = issue.errors.map((alternative) => {
      const [first] = alternative;
      if (!first) return "(valid)";
      const at = first.path.length ? `${first.path.map(String).join(".")}: ` : "";
      const message = first.message.replace(/^Invalid input: /, "");
      return `${at}${/^expected (.+?), received /.exec(message)?.[1] ?? message}`;
    });
    return `expected one of: ${options.join(" | ")}; ${found}`;
  }
  return /received|found/.test(issue.message) ? issue.message : `${issue.message}; ${found}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function validateJsonSchema(path: string, content: string): DefinitionIssue[] {
  const { value, issues } = parseJson(path, content);
  if (issues.length > 0) return issues;
  return schemaIssues(value, { otherFiles: true }).map((issue) => ({
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
