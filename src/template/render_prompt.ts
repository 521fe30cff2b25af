import { stringify as toYaml } from "yaml";
import type { PromptTemplate } from "../models/mod.ts";
import type { RenderPart, TemplateRenderer } from "./renderer.ts";

/** What a prompt is rendered from: the caller's data, kept apart from trusted context. */
export interface PromptInput {
  /** The caller's data (request body, workflow step input): untrusted. */
  variables: Record<string, unknown>;
  /** Trusted values (app configuration, app info), available everywhere as `context.*`. */
  context?: Record<string, unknown>;
}

/** One chat turn, as the LLM gateway takes it. */
export interface PromptMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * Renders a prompt template (contract §8) into chat turns through `renderer`, as one job. The rule
 * that keeps user data apart from instructions: `template` is the user turn and sees the caller's
 * variables; `system` is the instruction turn and sees only `context` unless the template sets
 * `inputInSystem: true`. Variable values are inserted as text and never evaluated as template
 * code, so input such as `{{ … }}` or "ignore previous instructions" arrives verbatim inside the
 * user turn. Few-shot `examples` become user/assistant pairs between the two, their outputs
 * written in `outputFormat`.
 */
export async function renderPrompt(
  renderer: TemplateRenderer,
  job: {
    appId: string;
    name: string;
    template: PromptTemplate;
    timeoutMs: number;
    waitMs?: number;
  },
  input: PromptInput,
): Promise<PromptMessage[]> {
  const { name, template } = job;
  const trusted = { context: input.context ?? {} };
  const vars: Record<string, unknown>[] = [trusted, { ...input.variables, ...trusted }];
  const parts: RenderPart[] = [];
  if (template.system) {
    parts.push({
      source: template.system,
      vars: template.inputInSystem ? 1 : 0,
      what: `prompt ${name} system`,
    });
  }
  template.examples.forEach((example, i) => {
    vars.push(
      example.input && typeof example.input === "object"
        ? { ...(example.input as Record<string, unknown>), ...trusted }
        : { input: example.input, ...trusted },
    );
    parts.push({
      source: template.template,
      vars: vars.length - 1,
      what: `prompt ${name} example ${i + 1}`,
    });
  });
  parts.push({ source: template.template, vars: 1, what: `prompt ${name}` });
  const texts = await renderer.render({
    appId: job.appId,
    parts,
    vars,
    timeoutMs: job.timeoutMs,
    ...(job.waitMs === undefined ? {} : { waitMs: job.waitMs }),
  });
  let next = 0;
  const messages: PromptMessage[] = [];
  if (template.system) messages.push({ role: "system", content: texts[next++] });
  for (const example of template.examples) {
    messages.push(
      { role: "user", content: texts[next++] },
      { role: "assistant", content: formatExample(example.output, template.outputFormat) },
    );
  }
  messages.push({ role: "user", content: texts[next] });
  return messages;
}

function formatExample(output: unknown, format: PromptTemplate["outputFormat"]): string {
  if (typeof output === "string") return output;
  if (format === "yaml") return toYaml(output).trimEnd();
  return JSON.stringify(output);
}
