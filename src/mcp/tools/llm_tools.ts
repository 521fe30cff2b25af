import { z } from "zod";
import { LlmParameters } from "../../models/mod.ts";
import type { ToolDefinition } from "../tool.ts";
import { type CoreToolDeps, defineTool, notAvailable } from "./_common.ts";

const Message = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

const Common = {
  model: z.string().min(1).max(200).optional().describe("default: the app's llm.model"),
  parameters: LlmParameters.optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional().describe(
    "a JSON Schema the completion must satisfy (it is then JSON)",
  ),
};

/** `core.llm.generate` (SPEC §6): one completion through Kiln's LLM gateway, metered per app. */
export function llmTools(_deps: CoreToolDeps): ToolDefinition[] {
  return [
    defineTool({
      name: "core.llm.generate",
      title: "Generate an LLM completion",
      description: "Runs one completion for a prompt or a chat transcript through Kiln's LLM " +
        "gateway; usage and cost are metered for the app. Give outputSchema to get JSON that " +
        "satisfies it.",
      scope: "app",
      permission: "llm:generate",
      annotations: {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
      inputSchema: z.union([
        z.strictObject({ ...Common, prompt: z.string().min(1) }),
        z.strictObject({ ...Common, messages: z.array(Message).min(1) }),
      ]),
      outputSchema: z.object({
        completion: z.unknown().describe("text, or JSON when outputSchema was given"),
        usage: z.object({
          promptTokens: z.number().int().min(0),
          completionTokens: z.number().int().min(0),
          costUsd: z.number().min(0),
        }),
      }),
      handler: () => Promise.reject(notAvailable("the LLM gateway (core.llm.generate)", 6)),
    }),
  ];
}
