/**
 * The support-desk example's LLM recordings, embedded as a JSON import (no file reads at run
 * time), and the tickets they answer. `kiln serve` without LLM configuration replays them, so
 * `classify-ticket` works offline; any other ticket answers LLM_RECORDING_MISSING. Regenerate
 * with `deno run --allow-all scripts/gen_example_cassette.ts`.
 */
import type { Cassette, LlmConfig } from "../src/llm/mod.ts";
import { parseCassette } from "../src/llm/mod.ts";
import classifyTicket from "./support-desk/cassettes/classify_ticket.cassette.json" with {
  type: "json",
};

/** The wire model name the recordings were made with; the replay profile must say the same. */
export const EXAMPLE_MODEL = "support-desk-demo";

/** The tickets the cassette answers, with the (hand-written) classification of each. */
export const EXAMPLE_TICKETS = [
  {
    ticket: {
      subject: "Charged twice this month",
      description:
        "I was billed twice for my subscription in November. Please refund the duplicate charge.",
      customerTier: "pro",
    },
    classification: {
      category: "billing",
      urgency: "medium",
      sentiment: "negative",
      summary:
        "A pro customer was billed twice in November and asks for the duplicate to be refunded.",
      confidence: 0.95,
    },
  },
  {
    ticket: {
      subject: "Cannot log in after password reset",
      description:
        "Since resetting my password this morning the login page says 'invalid credentials'. The whole team is blocked.",
      customerTier: "enterprise",
      affectedUsers: 40,
      product: "dashboard",
    },
    classification: {
      category: "account",
      urgency: "high",
      sentiment: "negative",
      summary: "After a password reset, 40 enterprise users cannot log in to the dashboard.",
      confidence: 0.85,
    },
  },
  {
    ticket: {
      subject: "Dark mode please",
      description: "It would be great if the app had a dark mode for late-night work.",
      customerTier: "free",
    },
    classification: {
      category: "feature_request",
      urgency: "low",
      sentiment: "positive",
      summary: "A free-tier user asks for a dark mode.",
      confidence: 0.9,
    },
  },
] as const;

/** The embedded cassettes. */
export const supportDeskCassettes: Cassette[] = [parseCassette(classifyTicket)];

/** LLM configuration that answers only from the embedded recordings (no keys, no network). */
export const offlineLlmConfig: LlmConfig = {
  profiles: { default: { provider: "replay", model: EXAMPLE_MODEL } },
};
