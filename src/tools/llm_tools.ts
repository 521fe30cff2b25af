import { z } from "zod";
import { LlmParameters } from "../models/mod.ts";
import type { ToolDefinition } from "../mcp/mod.ts";
import { appOf, type CoreToolDeps, defineTool, exactlyOne } from "./_common.ts";
import { KilnError } from "../core/mod.ts";

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

const Provenance = z.object({
  kind: z.enum(["live", "recording"]).describe(
    "`recording`: replayed from a cassette, not a live model answer",
  ),
  provider: z.string().optional(),
  cassette: z.string().optional(),
  recordedAt: z.string().optional(),
  source: z.string().optional(),
});

/**
 * `core.llm.generate` (contract §6): one completion through Kiln's LLM gateway, metered per app.
 */
export function llmTools(deps: CoreToolDeps): ToolDefinition[] {
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
      inputSchema: z.strictObject({
        ...Common,
        prompt: z.string().min(1).optional().describe("a single user turn (or give messages)"),
        messages: z.array(Message).min(1).optional().describe("a chat transcript (or prompt)"),
      }).superRefine(exactlyOne(["prompt", "messages"])),
      outputSchema: z.object({
        completion: z.unknown().describe("text, or JSON when outputSchema was given"),
        usage: z.object({
          promptTokens: z.number().int().min(0),
          completionTokens: z.number().int().min(0),
          costUsd: z.number().min(0),
        }),
        model: z.string().describe("the model that answered, as the provider named it"),
        profile: z.string().describe("the model profile the call used"),
        provenance: Provenance,
      }),
      handler: async (input, ctx) => {
        if (!deps.llm) {
          throw new KilnError("LLM_NOT_CONFIGURED", "this Kiln node has no LLM gateway");
        }
        const gen = await deps.llm.generate({
          appId: appOf(ctx),
          ...(ctx.caller.kind === "execution" ? { componentId: ctx.caller.componentId } : {}),
          ...(input.model ? { model: input.model } : {}),
          messages: input.prompt !== undefined
            ? [{ role: "user", content: input.prompt }]
            : input.messages!,
          ...(input.parameters ? { parameters: input.parameters } : {}),
          ...(input.outputSchema ? { outputSchema: input.outputSchema } : {}),
        }, {
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(ctx.onDelta ? { onDelta: ctx.onDelta } : {}),
        });
        return {
          completion: gen.completion,
          usage: gen.usage,
          model: gen.model,
          profile: gen.profile,
          provenance: gen.provenance,
        };
      },
    }),
  ];
}
