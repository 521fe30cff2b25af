import { z } from "zod";
import { KilnError, quote } from "../core/mod.ts";

const Price = z.strictObject({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
});

/**
 * One model profile: which backend, which wire model, and how to reach it. API keys are named
 * by `apiKeyEnv` (an environment variable or secret) and read only when a call is made; the
 * profile itself never holds a key, so configuration can be logged and committed.
 */
export const ModelProfile = z.strictObject({
  provider: z.enum(["openai", "anthropic", "replay"]),
  model: z.string().min(1),
  baseUrl: z.url().optional(),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  retry: z.strictObject({
    maxRetries: z.number().int().min(0).max(10).optional(),
    baseDelayMs: z.number().int().min(0).optional(),
    maxDelayMs: z.number().int().min(0).optional(),
    maxRetryAfterMs: z.number().int().min(0).optional(),
  }).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  structuredOutput: z.enum(["json_schema", "json_object", "none"]).optional(),
  price: Price.optional(),
  /** Replay only: wait as long as the recorded call took. */
  replayLatency: z.boolean().optional(),
  /**
   * Replay only: how fast streamed answers replay their recorded chunk timing (2: twice as fast;
   * 0: no waits). Default `KILN_REPLAY_SPEED`, else 1.
   */
  replaySpeed: z.number().min(0).max(1000).optional(),
});
export type ModelProfile = z.infer<typeof ModelProfile>;

/**
 * The gateway's host configuration (never part of an app's definitions). `profiles` must hold
 * `default`; `coder` is what code generation asks for. `apps.<appId>` maps profile names to
 * other profiles for that app only (per-app overrides), e.g. `{default: "cheap"}`.
 */
export const LlmConfig = z.strictObject({
  profiles: z.record(z.string().min(1), ModelProfile),
  apps: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  prices: z.record(z.string(), Price).optional(),
  /** Record live calls to `<recordDir>/<profile>.cassette.json`. */
  recordDir: z.string().min(1).optional(),
});
export type LlmConfig = z.infer<typeof LlmConfig>;

export const DEFAULT_PROFILE = "default";

/** A profile chosen for one call. */
export interface ResolvedProfile {
  name: string;
  profile: ModelProfile;
}

/**
 * Picks the profile for a call: the model asked for, else the app's configured `llm.model`,
 * else `default`; then the app's override of that name, if any. Apps choose among profiles the
 * host configured; they can never point a call at a URL or key of their own.
 */
export function resolveProfile(
  config: LlmConfig,
  appId: string,
  requested: string | undefined,
  appDefault: string | undefined,
): ResolvedProfile {
  const asked = requested ?? appDefault ?? DEFAULT_PROFILE;
  const remap = config.apps && Object.hasOwn(config.apps, appId) ? config.apps[appId] : {};
  const name = Object.hasOwn(remap, asked) ? remap[asked] : asked;
  const profile = Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
  if (!profile) {
    const known = Object.keys(config.profiles);
    throw new KilnError(
      "LLM_NOT_CONFIGURED",
      `no model profile ${quote(name)} is configured` +
        (known.length ? ` (profiles: ${known.join(", ")})` : " (no profiles at all)"),
      { model: name, profiles: known },
    );
  }
  return { name, profile };
}

/** Validates host configuration, naming the offending field. */
export function parseLlmConfig(value: unknown, origin = "LLM configuration"): LlmConfig {
  const parsed = LlmConfig.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KilnError(
      "VALIDATION_ERROR",
      `${origin}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { issues: parsed.error.issues },
    );
  }
  return parsed.data;
}

/**
 * Configuration from the environment, for `kiln serve`: `KILN_LLM_CONFIG` (JSON), or the
 * shortcuts `KILN_LLM_PROVIDER` (openai | anthropic), `KILN_LLM_BASE_URL`, `KILN_LLM_MODEL`,
 * `KILN_LLM_CODER_MODEL`, `KILN_LLM_API_KEY_ENV`, `KILN_LLM_RECORD_DIR`. Undefined when none
 * is set. Keys themselves stay in their own variables.
 */
export function llmConfigFromEnv(env: Record<string, string | undefined>): LlmConfig | undefined {
  if (env.KILN_LLM_CONFIG) {
    let value: unknown;
    try {
      value = JSON.parse(env.KILN_LLM_CONFIG);
    } catch {
      throw new KilnError("VALIDATION_ERROR", "KILN_LLM_CONFIG is not valid JSON");
    }
    return parseLlmConfig(value, "KILN_LLM_CONFIG");
  }
  const provider = env.KILN_LLM_PROVIDER;
  if (!provider) return undefined;
  const hosted = provider === "anthropic"
    ? { baseUrl: "https://api.anthropic.com/v1", apiKeyEnv: "ANTHROPIC_API_KEY" }
    : { baseUrl: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" };
  const base = {
    provider,
    baseUrl: env.KILN_LLM_BASE_URL ?? hosted.baseUrl,
    ...(env.KILN_LLM_API_KEY_ENV !== ""
      ? { apiKeyEnv: env.KILN_LLM_API_KEY_ENV ?? hosted.apiKeyEnv }
      : {}),
  };
  const model = env.KILN_LLM_MODEL;
  if (!model) throw new KilnError("VALIDATION_ERROR", "KILN_LLM_PROVIDER needs KILN_LLM_MODEL");
  return parseLlmConfig({
    profiles: {
      default: { ...base, model },
      coder: { ...base, model: env.KILN_LLM_CODER_MODEL ?? model },
    },
    ...(env.KILN_LLM_RECORD_DIR ? { recordDir: env.KILN_LLM_RECORD_DIR } : {}),
  }, "KILN_LLM_* environment");
}
