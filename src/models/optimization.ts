import { z } from "zod";
import { ComponentId } from "./_common.ts";

/** Metrics the optimization oracle can reason about (SPEC §9). */
export const OptimizationMetric = z.enum([
  "latency_ms",
  "cost_usd",
  "freq_per_min",
  "call_count",
  "error_rate",
  "output_stability",
]);

/** One threshold test over a metric, aggregated over a window. */
export const OptimizationCondition = z.object({
  metric: OptimizationMetric,
  operator: z.enum([">", ">=", "<", "<=", "==", "!="]),
  value: z.number(),
  aggregation: z.enum(["avg", "p50", "p95", "p99", "sum", "count", "rate"]).default("avg"),
  windowMinutes: z.number().int().min(1).max(10_080).default(60),
});

/** A rule: when all conditions hold, take the action (SPEC §9). */
export const OptimizationRule = z.object({
  ruleId: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  description: z.string().optional(),
  componentId: ComponentId.optional(),
  conditions: z.array(OptimizationCondition).min(1),
  action: z.enum(["TRIGGER_JIT", "RECOMMEND_JIT"]),
  enabled: z.boolean().default(true),
});

/** `state/optimization_config.yaml`: rules and the JIT gate's knobs. */
export const OptimizationConfig = z.object({
  preferLlmFlexibility: z.boolean().default(false),
  rules: z.array(OptimizationRule).default([]),
  agreementThreshold: z.number().min(0).max(1).default(0.95),
  shadowSampleRate: z.number().min(0).max(1).default(0.1),
  rollbackWindow: z.number().int().min(1).max(10_000).default(50),
});
export type OptimizationConfig = z.infer<typeof OptimizationConfig>;
