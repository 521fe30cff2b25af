import { KilnError } from "../core/mod.ts";
import type { JitSpec } from "./spec.ts";

/** The coder's answer: a handler module and its tests, as TypeScript sources. */
export interface CoderAnswer {
  handler: string;
  tests: string;
  notes?: string;
}

/** JSON Schema the coder's answer must meet (checked by the gateway, with one repair turn). */
export const CODER_OUTPUT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["handler", "tests"],
  properties: {
    handler: { type: "string", minLength: 1, maxLength: 200_000 },
    tests: { type: "string", minLength: 1, maxLength: 200_000 },
    notes: { type: "string", maxLength: 4_000 },
  },
} as const;

const SYSTEM =
  `You replace one LLM prompt of a production application with deterministic TypeScript.
Answer with one JSON object {"handler": string, "tests": string, "notes": string}.

"handler" is a TypeScript module that exports \`function handle(input)\` (sync or async) returning
exactly what the prompt would answer for that input: the same JSON shape and values, or the same
text. It must be pure and self-contained: no imports, no network, no file system, no Date.now or
randomness; it runs in QuickJS (ES2023) with no Deno or Node APIs.

"tests" is a TypeScript module, imported next to the handler, that exports
\`const cases: { name: string; input: unknown; expected: unknown }[]\` — 5 to 20 cases covering
the examples and the edge cases you expect.`;

/**
 * The `core.llm.generate` messages asking the coder for code AND tests: the prompt template it
 * replaces, the schemas, and recorded examples — never the gate or hidden slices.
 */
export function coderMessages(spec: JitSpec): { role: "system" | "user"; content: string }[] {
  const parts = [
    `Component: ${spec.componentId} (app ${spec.appId})`,
    spec.prompt.description ? `Purpose: ${spec.prompt.description}` : "",
    `The prompt template (nunjucks; \`input\` is the handler's argument, and an object input's ` +
    `fields are variables too):`,
    fence(
      spec.prompt.system
        ? `[system]\n${spec.prompt.system}\n[user]\n${spec.prompt.template}`
        : spec.prompt.template,
    ),
    `Output format: ${spec.prompt.outputFormat}` +
    (spec.prompt.outputFormat === "text" ? " (return the text as a string)" : ""),
    spec.inputSchema
      ? `Input JSON Schema:\n${fence(JSON.stringify(spec.inputSchema, null, 2))}`
      : "",
    spec.outputSchema ?? spec.prompt.outputSchema
      ? `Output JSON Schema:\n${
        fence(JSON.stringify(spec.outputSchema ?? spec.prompt.outputSchema, null, 2))
      }`
      : "",
    `Recorded calls (input → what the model answered), ${spec.examples.length} of them:`,
    ...spec.examples.map((e, i) =>
      `#${i + 1}\ninput: ${JSON.stringify(e.input)}\noutput: ${JSON.stringify(e.output)}`
    ),
  ];
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: parts.filter(Boolean).join("\n\n") },
  ];
}

/** Checks the coder's structured answer, quoting what is wrong. */
export function parseCoderAnswer(completion: unknown): CoderAnswer {
  const value = typeof completion === "string" ? safeJson(completion) : completion;
  const a = value as Partial<CoderAnswer> | null;
  if (!a || typeof a.handler !== "string" || typeof a.tests !== "string") {
    throw new KilnError(
      "JIT_CODER_ANSWER_INVALID",
      "the coder's answer needs string fields handler and tests",
      { answer: typeof completion === "string" ? completion.slice(0, 500) : completion },
    );
  }
  return { handler: a.handler, tests: a.tests, ...(a.notes ? { notes: String(a.notes) } : {}) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function fence(text: string): string {
  return "```\n" + text + "\n```";
}
