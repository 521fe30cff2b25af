import { KilnError, quote } from "../core/mod.ts";
import { type JsonSchema, validatorFor } from "../schema/mod.ts";
import type { ChatMessage, ResponseFormat } from "./types.ts";

/** One way an answer missed its schema: a JSON pointer into the answer, and why. */
export interface OutputIssue {
  path: string;
  message: string;
}

export type OutputCheck =
  | { ok: true; value: unknown }
  | { ok: false; issues: OutputIssue[] };

/** Whose schema it is: validators are never shared between apps or revisions. */
export interface SchemaScope {
  appId: string;
  revision: string;
}

/** Removes a Markdown code fence models like to wrap JSON in. */
export function stripFence(text: string): string {
  const m = /^\s*```[A-Za-z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1] : text.trim();
}

/** Parses a JSON answer and checks it against `schema` (when given). */
export function checkJson(
  text: string,
  schema: Record<string, unknown> | undefined,
  scope: SchemaScope,
): OutputCheck {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch (err) {
    return { ok: false, issues: [{ path: "", message: `not JSON: ${(err as Error).message}` }] };
  }
  return schema ? checkValue(value, schema, scope) : { ok: true, value };
}

/** Checks an already parsed value against `schema`, as the scope's app has it. */
export function checkValue(value: unknown, schema: JsonSchema, scope: SchemaScope): OutputCheck {
  const check = validatorFor(scope.appId, scope.revision, schema).validate(value);
  if (check.ok) return { ok: true, value };
  return {
    ok: false,
    issues: check.issues.map((i) => ({ path: i.pointer || "/", message: i.message })),
  };
}

/** What the model is told about the shape of its answer, as a system instruction. */
export function formatInstruction(format: ResponseFormat): string | null {
  if (format.type === "text") return null;
  const base = "Answer with a single JSON value and nothing else: no prose, no code fence.";
  return format.type === "json"
    ? base
    : `${base} It must satisfy this JSON Schema:\n${JSON.stringify(format.schema)}`;
}

/** Puts the format instruction at the end of the system turn (adding one when there is none). */
export function withInstruction(messages: ChatMessage[], format: ResponseFormat): ChatMessage[] {
  const text = formatInstruction(format);
  if (!text) return messages;
  const [first, ...rest] = messages;
  if (first?.role === "system") {
    return [{ role: "system", content: `${first.content}\n\n${text}` }, ...rest];
  }
  return [{ role: "system", content: text }, ...messages];
}

/** The one repair turn: the rejected answer and what was wrong with it. */
export function repairTurns(answer: string, issues: OutputIssue[]): ChatMessage[] {
  return [
    { role: "assistant", content: answer },
    {
      role: "user",
      content: "That answer is not valid: " +
        issues.slice(0, 10).map((i) => `${i.path} ${i.message}`).join("; ") +
        ". Answer again with only the corrected JSON.",
    },
  ];
}

/** The error after the repair retry also failed; it quotes the answer and the first issue. */
export function outputInvalid(answer: string, issues: OutputIssue[], attempts: number): KilnError {
  const first = issues[0];
  return new KilnError(
    "LLM_OUTPUT_INVALID",
    `the model's answer ${quote(answer, 160)} does not satisfy the output schema after ` +
      `${attempts} attempt(s): ${first ? `${first.path} ${first.message}` : "invalid"}`,
    { issues, answer: answer.slice(0, 4000), attempts },
  );
}
