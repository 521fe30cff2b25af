import { z } from "zod";
import { SchemaRef } from "./_common.ts";

/** Sampling parameters; a workflow step may override them. */
export const LlmParameters = z.object({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  top_p: z.number().min(0).max(1).optional(),
}).loose();

/** `state/prompts/<name>.yaml` (contract §8). */
export const PromptTemplate = z.object({
  description: z.string().optional(),
  model: z.string().optional(),
  parameters: LlmParameters.default({}),
  template: z.string().min(1),
  system: z.string().optional().describe(
    "instructions; rendered without the caller's input unless inputInSystem is true",
  ),
  inputInSystem: z.boolean().default(false).describe(
    "let `system` use the caller's input variables (off: user data stays in the user turn)",
  ),
  outputFormat: z.enum(["text", "json", "yaml", "xml"]).default("text"),
  outputSchema: SchemaRef.optional(),
  examples: z.array(z.object({ input: z.unknown(), output: z.unknown() })).default([]),
});
export type PromptTemplate = z.infer<typeof PromptTemplate>;
