import { z } from "zod";
import { AppId, ComponentId } from "./_common.ts";

/** Metrics the optimization oracle can reason about (contract §9). */
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
export type OptimizationCondition = z.infer<typeof OptimizationCondition>;

/** A rule: when all conditions hold, take the action (contract §9). */
export const OptimizationRule = z.object({
  ruleId: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  description: z.string().optional(),
  componentId: ComponentId.optional(),
  conditions: z.array(OptimizationCondition).min(1),
  action: z.enum(["TRIGGER_JIT", "RECOMMEND_JIT"]),
  enabled: z.boolean().default(true),
});
export type OptimizationRule = z.infer<typeof OptimizationRule>;

/**
 * A rule of the host (the global level): the same fields, plus the app it is limited to.
 * Unknown keys are refused, not dropped, so a misspelt limit never widens a rule to every app.
 */
export const GlobalOptimizationRule = z.strictObject({
  ...OptimizationRule.shape,
  appId: AppId.optional().describe("the app the rule applies to; absent, every app"),
});
export type GlobalOptimizationRule = z.infer<typeof GlobalOptimizationRule>;

/** A redaction rule for sampled pairs: a JSON path to blank, or a pattern to mask in text. */
export const RedactionRule = z.union([
  z.strictObject({
    path: z.string().regex(/^(input|output)(\.[A-Za-z0-9_$-]+|\[\d+\])*$/)
      .describe("`input.customer.email`: the value there is replaced"),
    replacement: z.string().max(200).default("[redacted]"),
  }),
  z.strictObject({
    pattern: z.string().min(1).max(500).describe("a regular expression matched in every string"),
    flags: z.string().regex(/^[imsu]*$/).default(""),
    replacement: z.string().max(200).default("[redacted]"),
  }),
]);

/** How an app's llm components' input/output pairs are sampled (the JIT's data, contract §9). */
export const SamplingConfig = z.object({
  enabled: z.boolean().default(true),
  /** Share of calls recorded, 0–1. */
  rate: z.number().min(0).max(1).default(1),
  /** Pairs kept per component; the oldest go first. */
  maxSamples: z.number().int().min(1).max(100_000).default(2_000),
  retentionDays: z.number().min(1 / 24).max(365).default(30),
  /** A pair with a larger input or output (serialized) is not recorded. */
  maxInputBytes: z.number().int().min(64).max(1 << 20).default(16_384),
  maxOutputBytes: z.number().int().min(64).max(1 << 20).default(16_384),
  redact: z.array(RedactionRule).max(50).default([]),
});
export type SamplingConfig = z.infer<typeof SamplingConfig>;

/** The JIT generator's knobs: how recorded traffic is split and which coder profile is asked. */
export const GenerationConfig = z.object({
  /** Fewest recorded pairs before a generation may start. */
  minSamples: z.number().int().min(3).max(100_000).default(30),
  /** Time-ordered split: oldest share shown to the coder, then the gate slice, newest hidden. */
  examplesShare: z.number().min(0.05).max(0.8).default(0.2),
  gateShare: z.number().min(0.1).max(0.9).default(0.4),
  /** Most examples put in the coder's prompt. */
  maxExamples: z.number().int().min(1).max(200).default(40),
  coderModel: z.string().min(1).default("coder"),
  timeoutMs: z.number().int().min(1_000).max(900_000).default(120_000),
  /** After a rejected generation or a rollback, rules wait this long before triggering again. */
  cooldownMinutes: z.number().min(0).max(43_200).default(60),
});
export type GenerationConfig = z.infer<typeof GenerationConfig>;

/** `state/optimization_config.yaml`: rules, sampling and the JIT gate's knobs. */
export const OptimizationConfig = z.object({
  preferLlmFlexibility: z.boolean().default(false),
  rules: z.array(OptimizationRule).default([]),
  agreementThreshold: z.number().min(0).max(1).default(0.95),
  /** Share of calls shadowed by the LLM while a new version is on probation (its first window). */
  shadowSampleRate: z.number().min(0).max(1).default(0.1),
  /** Share shadowed once a full window agreed: drift is still caught, at a fraction of the cost. */
  activeShadowSampleRate: z.number().min(0).max(1).default(0.01),
  rollbackWindow: z.number().int().min(1).max(10_000).default(50),
  sampling: SamplingConfig.default(SamplingConfig.parse({})),
  generation: GenerationConfig.default(GenerationConfig.parse({})),
});
export type OptimizationConfig = z.infer<typeof OptimizationConfig>;
