import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import { KilnError, quote } from "../core/mod.ts";
import type { ChatMessage, ResponseFormat } from "./types.ts";

/** One way an answer missed its schema, in ajv's terms. */
export interface OutputIssue {
  path: string;
  message: string;
}

export type OutputCheck =
  | { ok: true; value: unknown }
  | { ok: false; issues: OutputIssue[] };

const engines = {
  "2020": new Ajv2020({ strict: false, allErrors: true }),
  "2019": new Ajv2019({ strict: false, allErrors: true }),
  "07": new Ajv({ strict: false, allErrors: true }),
};
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 256;
/** The same schema object (a memoized definition file) skips even serializing it. */
const byObject = new WeakMap<object, ValidateFunction>();

/** A compiled ajv validator for a user-supplied schema, cached by its text. */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const known = byObject.get(schema);
  if (known) return known;
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate) {
    byObject.set(schema, validate);
    return validate;
  }
  const dialect = String(schema.$schema ?? "");
  const ajv = dialect.includes("2019-09")
    ? engines["2019"]
    : /draft-0[4-7]/.test(dialect)
    ? engines["07"]
    : engines["2020"];
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `outputSchema does not compile: ${(err as Error).message}`,
    );
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, validate);
  byObject.set(schema, validate);
  return validate;
}

/** Removes a Markdown code fence models like to wrap JSON in. */
export function stripFence(text: string): string {
  const m = /^\s*```[A-Za-z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return m ? m[1] : text.trim();
}

/** Parses a JSON answer and checks it against `schema` (when given). */
export function checkJson(text: string, schema?: Record<string, unknown>): OutputCheck {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch (err) {
    return { ok: false, issues: [{ path: "", message: `not JSON: ${(err as Error).message}` }] };
  }
  return schema ? checkValue(value, schema) : { ok: true, value };
}

/** Checks an already parsed value against `schema`. */
export function checkValue(value: unknown, schema: Record<string, unknown>): OutputCheck {
  const validate = validatorFor(schema);
  if (validate(value)) return { ok: true, value };
  return {
    ok: false,
    issues: (validate.errors ?? []).map((e) => ({
      path: e.instancePath || "/",
      message: e.message ?? e.keyword,
    })),
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
