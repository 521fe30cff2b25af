import { z } from "zod";

const StepId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "stepId must be an identifier");

/** `[{condition?, nextStep}]`: the first entry whose condition is true (or absent) wins. */
export const TransitionList = z.array(z.object({
  condition: z.string().min(1).optional(),
  nextStep: StepId,
}));

/** The success/failure form of transitions. */
export const TransitionRouting = z.object({
  onSuccess: StepId.optional(),
  onFailure: z.array(z.object({ condition: z.string().min(1), nextStep: StepId })).default([]),
  onFailureDefault: StepId.optional(),
});

/** How a failing step is retried. */
export const RetryPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(100).default(1),
  backoffMs: z.number().int().min(0).max(3_600_000).default(0),
  backoffMultiplier: z.number().min(1).max(10).default(2),
  maxBackoffMs: z.number().int().min(0).max(3_600_000).default(60_000),
  jitter: z.boolean().default(true),
  retryOn: z.array(z.string()).optional(),
});

/** One step of a workflow (contract §7). */
export const WorkflowStep = z.object({
  type: z.enum(["jit", "llm", "mcp", "control"]),
  description: z.string().optional(),
  target: z.record(z.string(), z.unknown()).default({}),
  inputMapping: z.record(z.string(), z.string()).default({}),
  transitions: z.union([TransitionList, TransitionRouting]).optional(),
  retryPolicy: RetryPolicy.optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  safeToRepeat: z.boolean().default(true),
  end: z.boolean().default(false),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/** `state/workflows/<id>.yaml` (contract §7). */
export const WorkflowDefinition = z.object({
  workflowId: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  description: z.string().optional(),
  trigger: z.object({
    type: z.enum(["http", "manual", "cron", "event", "queue", "internal"]),
    config: z.record(z.string(), z.unknown()).default({}),
  }).optional(),
  startAt: StepId,
  steps: z.record(StepId, WorkflowStep),
}).superRefine((w, ctx) => {
  if (!(w.startAt in w.steps)) {
    ctx.addIssue({
      code: "custom",
      message: `startAt names unknown step "${w.startAt}"`,
      path: ["startAt"],
    });
  }
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinition>;
