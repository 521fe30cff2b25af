import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { llmConfigFromEnv, parseLlmConfig, resolveProfile } from "./profiles.ts";

const CONFIG = parseLlmConfig({
  profiles: {
    default: { provider: "openai", model: "small", baseUrl: "http://127.0.0.1:1/v1" },
    coder: { provider: "anthropic", model: "big", baseUrl: "http://127.0.0.1:2/v1" },
    cheap: { provider: "replay", model: "small" },
  },
  apps: { shop: { default: "cheap" } },
});

Deno.test("resolveProfile() takes the asked model, then the app's llm.model, then default", () => {
  assert.equal(resolveProfile(CONFIG, "a", "coder", "cheap").name, "coder");
  assert.equal(resolveProfile(CONFIG, "a", undefined, "coder").name, "coder");
  assert.equal(resolveProfile(CONFIG, "a", undefined, undefined).name, "default");
  assert.equal(resolveProfile(CONFIG, "shop", undefined, undefined).name, "cheap");
  assert.throws(() => resolveProfile(CONFIG, "a", "__proto__", undefined), KilnError);
  assert.throws(() => resolveProfile(CONFIG, "shop", "__proto__", undefined), /"__proto__"/);
});

Deno.test("parseLlmConfig() refuses keys in profiles and names the field", () => {
  assert.throws(
    () =>
      parseLlmConfig({
        profiles: { default: { provider: "openai", model: "m", apiKey: "sk-secret" } },
      }),
    /profiles\.default: Unrecognized key: "apiKey"/,
  );
});

Deno.test("llmConfigFromEnv() builds default and coder from KILN_LLM_* and keeps keys out", () => {
  assert.equal(llmConfigFromEnv({}), undefined);
  const config = llmConfigFromEnv({
    KILN_LLM_PROVIDER: "anthropic",
    KILN_LLM_MODEL: "claude-small",
    KILN_LLM_CODER_MODEL: "claude-big",
    ANTHROPIC_API_KEY: "ak-secret",
  })!;
  assert.deepEqual(config.profiles.coder, {
    provider: "anthropic",
    baseUrl: "https://api.anthropic.com/v1",
    apiKeyEnv: "ANTHROPIC_API_KEY",
    model: "claude-big",
  });
  assert.ok(!JSON.stringify(config).includes("ak-secret"));
  const local = llmConfigFromEnv({
    KILN_LLM_PROVIDER: "openai",
    KILN_LLM_MODEL: "llama3",
    KILN_LLM_BASE_URL: "http://127.0.0.1:11434/v1",
    KILN_LLM_API_KEY_ENV: "",
  })!;
  assert.equal(local.profiles.default.apiKeyEnv, undefined, "local servers need no key");
  assert.throws(() => llmConfigFromEnv({ KILN_LLM_PROVIDER: "openai" }), /KILN_LLM_MODEL/);
  assert.throws(() => llmConfigFromEnv({ KILN_LLM_CONFIG: "{" }), /not valid JSON/);
});
