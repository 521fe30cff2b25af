import { stringify as toYaml } from "yaml";
import { KilnError } from "../core/mod.ts";
import type { PromptTemplate } from "../models/mod.ts";
import { renderTemplate } from "./_nunjucks_env.ts";
import type { ChatMessage } from "./types.ts";

/** What a prompt is rendered from: the caller's data, kept apart from trusted context. */
export interface PromptInput {
  /** The caller's data (request body, workflow step input): untrusted. */
  variables: Record<string, unknown>;
  /** Trusted values (app configuration, app info), available everywhere as `context.*`. */
  context?: Record<string, unknown>;
}

const MAX_PROMPT_CHARS = 1 << 20;

/**
 * Renders a prompt template (SPEC §8) into chat turns. The rule that keeps user data apart from
 * instructions: `template` is the user turn and sees the caller's variables; `system` is the
 * instruction turn and sees only `context` unless the template sets `inputInSystem: true`.
 * Variable values are inserted as text and never evaluated as template code, so input such as
 * `{{ … }}` or "ignore previous instructions" arrives verbatim inside the user turn. Few-shot
 * `examples` become user/assistant pairs between the two, their outputs written in
 * `outputFormat`.
 */
export function renderPrompt(
  name: string,
  template: PromptTemplate,
  input: PromptInput,
): ChatMessage[] {
  const trusted = { context: input.context ?? {} };
  const all = { ...input.variables, ...trusted };
  const messages: ChatMessage[] = [];
  if (template.system) {
    messages.push({
      role: "system",
      content: render(
        template.system,
        template.inputInSystem ? all : trusted,
        `prompt ${name} system`,
      ),
    });
  }
  template.examples.forEach((example, i) => {
    const vars = example.input && typeof example.input === "object"
      ? { ...(example.input as Record<string, unknown>), ...trusted }
      : { input: example.input, ...trusted };
    messages.push(
      { role: "user", content: render(template.template, vars, `prompt ${name} example ${i + 1}`) },
      { role: "assistant", content: formatExample(example.output, template.outputFormat) },
    );
  });
  messages.push({ role: "user", content: render(template.template, all, `prompt ${name}`) });
  return messages;
}

/** How the model is told to shape a yaml or xml answer (json is the gateway's business). */
export function formatHint(format: PromptTemplate["outputFormat"]): string | null {
  if (format === "yaml") return "Answer with a YAML document only: no prose, no code fence.";
  if (format === "xml") return "Answer with one XML document only: no prose, no code fence.";
  return null;
}

function render(source: string, vars: Record<string, unknown>, what: string): string {
  const text = renderTemplate(source, vars, what);
  if (text.length > MAX_PROMPT_CHARS) {
    throw new KilnError(
      "PROMPT_RENDER_FAILED",
      `${what} rendered to ${text.length} characters, over ${MAX_PROMPT_CHARS}`,
    );
  }
  return text;
}

function formatExample(output: unknown, format: PromptTemplate["outputFormat"]): string {
  if (typeof output === "string") return output;
  if (format === "yaml") return toYaml(output).trimEnd();
  return JSON.stringify(output);
}
