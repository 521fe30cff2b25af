import { join } from "node:path";
import { KilnError, type Logger, quote } from "../core/mod.ts";
import { AnthropicProvider } from "./anthropic_provider.ts";
import type { Cassette } from "./cassette.ts";
import { OpenAiProvider } from "./openai_provider.ts";
import type { ModelProfile } from "./profiles.ts";
import { RecordingProvider } from "./recording_provider.ts";
import { ReplayProvider } from "./replay_provider.ts";
import type { LlmTimers } from "./timers.ts";
import type { LlmProvider } from "./types.ts";

/** What building a profile's provider needs besides the profile. */
export interface ProviderDeps {
  cassettes: Cassette[];
  recordDir?: string;
  secret?: (name: string) => string | undefined;
  timers: LlmTimers;
  log: Logger;
}

/**
 * The provider of one profile: replay from the embedded cassettes, or a live wire provider with
 * the key read now from the variable the profile names (wrapped in a recorder when `recordDir`
 * is set). A missing key is LLM_NOT_CONFIGURED naming the variable, never the value.
 */
export function buildProvider(
  name: string,
  profile: ModelProfile,
  deps: ProviderDeps,
): LlmProvider {
  const { timers } = deps;
  if (profile.provider === "replay") {
    return new ReplayProvider(deps.cassettes, {
      latency: profile.replayLatency,
      timers,
      speed: profile.replaySpeed ?? envSpeed(),
    });
  }
  if (!profile.baseUrl) {
    throw new KilnError("LLM_NOT_CONFIGURED", `model profile ${quote(name)} has no baseUrl`);
  }
  const apiKey = profile.apiKeyEnv ? (deps.secret ?? envSecret)(profile.apiKeyEnv) : undefined;
  if (profile.apiKeyEnv && !apiKey) {
    throw new KilnError(
      "LLM_NOT_CONFIGURED",
      `model profile ${quote(name)} needs an API key in ${
        quote(profile.apiKeyEnv)
      }, which is not set`,
      { profile: name, apiKeyEnv: profile.apiKeyEnv },
    );
  }
  const common = {
    baseUrl: profile.baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(profile.timeoutMs ? { timeoutMs: profile.timeoutMs } : {}),
    ...(profile.retry ? { retry: profile.retry } : {}),
    timers,
    onRetry: (r: { attempt: number; status: number | null; delayMs: number }) =>
      deps.log.warn("llm call retrying", { profile: name, ...r }),
  };
  const live = profile.provider === "anthropic"
    ? new AnthropicProvider(common)
    : new OpenAiProvider({ ...common, structuredOutput: profile.structuredOutput });
  if (!deps.recordDir) return live;
  return new RecordingProvider(live, {
    path: join(deps.recordDir, `${name}.cassette.json`),
    name,
    source: `${profile.provider} ${profile.model}`,
    timers,
  });
}

function envSecret(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** `KILN_REPLAY_SPEED`: a number ≥ 0 (default 1), or LLM_NOT_CONFIGURED naming the value. */
function envSpeed(): number {
  const text = envSecret("KILN_REPLAY_SPEED");
  if (text === undefined || text === "") return 1;
  const speed = Number(text);
  if (!Number.isFinite(speed) || speed < 0) {
    throw new KilnError(
      "LLM_NOT_CONFIGURED",
      `KILN_REPLAY_SPEED must be a number of at least 0, not ${quote(text)}`,
      { variable: "KILN_REPLAY_SPEED" },
    );
  }
  return speed;
}
