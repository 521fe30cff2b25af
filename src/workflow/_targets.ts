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

/** `jit` steps: a component by id, or the code it runs (`script` + `function`). */
export const JitTargetDef = z.union([
  z.object({ componentId: z.string().min(1) }).loose(),
  z.object({
    language: z.string().optional(),
    script: z.string().min(1),
    function: z.string().min(1),
  }).loose(),
]);

/** `llm` steps: a component by id, a prompt template, or an inline prompt. */
export const LlmTargetDef = z.union([
  z.object({ componentId: z.string().min(1) }).loose(),
  z.object({ promptTemplate: z.string().min(1) }).loose(),
  z.object({ prompt: z.string().min(1) }).loose(),
]);

/** The target schema of each step type (also rendered to `schemas/workflow/<type>_target`). */
export const TARGETS = {
  control: ControlTargetDef,
  mcp: McpTargetDef,
  jit: JitTargetDef,
  llm: LlmTargetDef,
};
