import { z } from "zod";
import { KilnError } from "../core/mod.ts";
import type { ProviderRequest } from "./types.ts";

const Message = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

const Entry = z.strictObject({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  request: z.strictObject({
    model: z.string(),
    messages: z.array(Message),
    parameters: z.record(z.string(), z.unknown()),
    format: z.record(z.string(), z.unknown()),
  }),
  result: z.strictObject({
    text: z.string(),
    usage: z.strictObject({
      promptTokens: z.number().int().min(0),
      completionTokens: z.number().int().min(0),
    }),
    model: z.string(),
    finishReason: z.string().nullable(),
  }),
  latencyMs: z.number().min(0),
  /**
   * The streamed answer's pieces, each with when it arrived (ms after the call began); absent in
   * cassettes recorded without streaming, which replay their text as word-sized pieces.
   */
  chunks: z.array(z.strictObject({ text: z.string(), atMs: z.number().min(0) })).optional(),
  recordedAt: z.string(),
});
export type CassetteEntry = z.infer<typeof Entry>;

/**
 * A file of recorded provider calls. `recorded: true` and `provenance` label everything in it
 * as a recording: replayed answers say so, and are never passed off as live output. Cassettes
 * are JSON so Kiln can embed them with `import … with { type: "json" }` (no file reads at run
 * time, which `deno compile` and a read permission limited to the data dir both need).
 */
export const Cassette = z.strictObject({
  kind: z.literal("kiln.llm.cassette"),
  version: z.literal(1),
  recorded: z.literal(true),
  name: z.string().min(1),
  provenance: z.strictObject({
    /** What produced the answers: a provider and model, or a note that they were written by hand. */
    source: z.string().min(1),
    recordedAt: z.string(),
    note: z.string().optional(),
  }),
  entries: z.array(Entry),
});
export type Cassette = z.infer<typeof Cassette>;

/** Validates a cassette (an imported JSON module or a file's content). */
export function parseCassette(value: unknown): Cassette {
  const parsed = Cassette.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KilnError(
      "VALIDATION_ERROR",
      `not a Kiln LLM cassette: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { issues: parsed.error.issues },
    );
  }
  return parsed.data;
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The replay key of a call: SHA-256 of (model, messages, parameters, format), canonically. */
export async function requestKey(req: ProviderRequest): Promise<string> {
  const text = canonicalJson({
    model: req.model,
    messages: req.messages,
    parameters: req.parameters,
    format: req.format,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An empty cassette to record into. */
export function newCassette(name: string, source: string, now: Date): Cassette {
  return {
    kind: "kiln.llm.cassette",
    version: 1,
    recorded: true,
    name,
    provenance: { source, recordedAt: now.toISOString() },
    entries: [],
  };
}
