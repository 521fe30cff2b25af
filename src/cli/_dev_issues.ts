import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { KilnError, yamlDocumentOrThrowAsync } from "../core/mod.ts";
import type { DefinitionIssue } from "../models/mod.ts";

/** A definition problem placed in the author's tree: `state/…` file, 1-based line and column. */
export interface LocatedIssue {
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

const AT_LINE = /\bat line (\d+), column (\d+)/;
const JSON_AT = /\(line (\d+) column (\d+)\)/;
const AJV_AT = /\bdata\/([^\s,]+)/;

/**
 * The problems an error carries, each with the line it is on: a YAML syntax problem says its
 * line already; a schema problem names a field, found again in the file's YAML (or JSON, which
 * YAML reads too) to take its position; a problem with no place of its own points at the file.
 */
export async function locateIssues(
  err: unknown,
  files: ReadonlyMap<string, string>,
): Promise<LocatedIssue[]> {
  const issues = issuesOf(err);
  return await Promise.all(issues.map((issue) => locate(issue, files)));
}

/** One line per problem: `state/x.yaml:7:5: field: message`. */
export function formatIssue(issue: LocatedIssue): string {
  const at = issue.line === undefined
    ? issue.file
    : `${issue.file}:${issue.line}${issue.column === undefined ? "" : `:${issue.column}`}`;
  return `${at}: ${issue.field ? `${issue.field}: ` : ""}${issue.message}`;
}

function issuesOf(err: unknown): DefinitionIssue[] {
  if (err instanceof KilnError) {
    const listed = (err.details as { issues?: unknown } | undefined)?.issues;
    if (Array.isArray(listed) && listed.length > 0) {
      return listed.map((i) => ({
        path: typeof i?.path === "string" && i.path !== "" ? i.path : pathIn(err.message),
        field: typeof i?.field === "string" && i.field !== "" ? i.field : undefined,
        message: typeof i?.message === "string" ? i.message : String(i),
      }));
    }
    return [{ path: pathIn(err.message), message: err.message }];
  }
  return [{ path: "", message: String((err as Error)?.message ?? err) }];
}

/** The definition file an error message names, if any (`state/app_definition.yaml is …`). */
function pathIn(message: string): string {
  const named = /(?:^|[\s"])(?:state\/)?([\w./-]+\.(?:ya?ml|json|ts|js|py|wasm))\b/.exec(message);
  return named?.[1] ?? "";
}

async function locate(
  issue: DefinitionIssue,
  files: ReadonlyMap<string, string>,
): Promise<LocatedIssue> {
  const file = issue.path ? `state/${issue.path}` : "state/";
  const base: LocatedIssue = {
    file,
    ...(issue.field ? { field: issue.field } : {}),
    message: issue.message,
  };
  const said = AT_LINE.exec(issue.message) ?? JSON_AT.exec(issue.message);
  if (said) {
    const message = issue.message.replace(/ at line \d+, column \d+/, "");
    return { ...base, message, line: Number(said[1]), column: Number(said[2]) };
  }
  const text = files.get(issue.path);
  if (text === undefined) return base;
  // ajv names the place in a JSON Schema it refuses as `data/properties/x/type`.
  const pointer = AJV_AT.exec(issue.message)?.[1];
  const field = issue.field ?? pointer?.replaceAll("/", ".");
  if (!field) {
    // A JSON syntax error V8 gives no line for: YAML's parser of the same text does.
    if (/\.json$/.test(issue.path) && /JSON/.test(issue.message)) {
      return { ...base, ...(await syntaxPosition(text)) };
    }
    return base;
  }
  const offset = await fieldOffset(text, field.split("."));
  return offset === undefined ? base : { ...base, ...position(text, offset) };
}

/**
 * Where `path` is in the document: the key of the deepest pair that exists, so a missing field
 * points at the mapping that lacks it and a wrong value at its own key.
 */
async function fieldOffset(text: string, path: string[]): Promise<number | undefined> {
  let doc;
  try {
    doc = await yamlDocumentOrThrowAsync(text, "definition");
  } catch {
    return undefined;
  }
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) =>
        isPair(p) && isScalar(p.key) && String(p.key.value) === key
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(key) && Number(key) < node.items.length) {
      node = node.items[Number(key)];
      offset = (node as Node | null)?.range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

async function syntaxPosition(text: string): Promise<{ line?: number; column?: number }> {
  try {
    await yamlDocumentOrThrowAsync(text, "definition");
  } catch (err) {
    const at = AT_LINE.exec((err as Error).message);
    if (at) return { line: Number(at[1]), column: Number(at[2]) };
  }
  return {};
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
