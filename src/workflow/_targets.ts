/**
 * The `target` of each step type, checked by the loader (the workflow model keeps `target` open
 * so one JSON Schema covers every type; these schemas are the per-type contract in §7).
 */
import { z } from "zod";
import { WorkflowStep } from "../models/mod.ts";

const StepId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "a step id");

/** A nested graph: a `parallel` branch or a `map` iterator. */
export const GraphDef = z.object({
  startAt: StepId,
  steps: z.record(StepId, WorkflowStep),
});
export type GraphDef = z.infer<typeof GraphDef>;

const Concurrency = z.number().int().min(1).max(64);

/** Control steps, by subtype. */
export const ControlTargetDef = z.discriminatedUnion("subtype", [
  z.strictObject({
    subtype: z.literal("formatResponse"),
    resultType: z.enum(["generic", "httpResponse", "error"]).default("generic"),
  }),
  z.strictObject({ subtype: z.literal("choice") }),
  z.strictObject({
    subtype: z.literal("wait"),
    durationMs: z.number().int().min(0).max(86_400_000),
  }),
  z.strictObject({
    subtype: z.literal("fail"),
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/).default("WORKFLOW_FAILED"),
    message: z.string().max(2000).default("the workflow failed"),
  }),
  z.strictObject({ subtype: z.literal("succeed") }),
  z.strictObject({
    subtype: z.literal("parallel"),
    branches: z.record(StepId, GraphDef).refine((b) => Object.keys(b).length > 0, "no branches"),
    maxConcurrency: Concurrency.optional(),
  }),
  z.strictObject({
    subtype: z.literal("map"),
    items: z.string().min(1),
    iterator: GraphDef,
    maxConcurrency: Concurrency.default(4),
  }),
  z.strictObject({ subtype: z.literal("subworkflow"), workflowId: StepId }),
]);
export type ControlTargetDef = z.infer<typeof ControlTargetDef>;

/** `mcp` steps: a core tool, or a tool of an external server the app declares. */
export const McpTargetDef = z.strictObject({
  tool: z.string().min(1).max(200),
  server: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/).optional(),
});

/**
 * `jit` steps: a component by id, or the code a declared jit component runs (`script` +
 * `function`, which names that component). Code no component declares has no tier, limits or
 * permissions to run under, so it is refused when the definitions are checked.
 */
export const JitTargetDef = z.object({
  componentId: z.string().min(1).optional(),
  language: z.string().optional(),
  script: z.string().min(1).optional(),
  function: z.string().min(1).optional(),
}).loose().superRefine((t, ctx) => {
  if (t.componentId !== undefined) return;
  if (t.script === undefined || t.function === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected componentId, or script and function of a declared jit component; found ${
        describe(t)
      }`,
    });
  }
});

/**
 * `llm` steps: a component by id, or the prompt template a declared llm component uses. An
 * inline `prompt` has no component (model, limits, sampling) to run as: refused with the reason.
 */
export const LlmTargetDef = z.object({
  componentId: z.string().min(1).optional(),
  promptTemplate: z.string().min(1).optional(),
}).loose().superRefine((t, ctx) => {
  if ("prompt" in t) {
    ctx.addIssue({
      code: "custom",
      path: ["prompt"],
      message: "an inline prompt is not supported: put it in prompts/<name>.yaml, declare an llm " +
        "component using it, and name that component (componentId) or template (promptTemplate)",
    });
  } else if (t.componentId === undefined && t.promptTemplate === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected componentId or promptTemplate; found ${describe(t)}`,
    });
  }
});

function describe(target: Record<string, unknown>): string {
  const keys = Object.keys(target);
  return keys.length ? `the keys ${keys.map((k) => JSON.stringify(k)).join(", ")}` : "no keys";
}

/** The target schema of each step type (also rendered to `schemas/workflow/<type>_target`). */
export const TARGETS = {
  control: ControlTargetDef,
  mcp: McpTargetDef,
  jit: JitTargetDef,
  llm: LlmTargetDef,
};
