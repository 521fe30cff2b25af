import type { Clock, JsonValue } from "../core/mod.ts";
import { KilnError, RegexMeter, systemClock } from "../core/mod.ts";
import { canonicalJson } from "../llm/mod.ts";
import type { SamplingConfig } from "../models/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import { redactPair } from "./_redact.ts";

/** One recorded input/output pair of an llm component: the JIT's training and test data. */
export interface Sample {
  sampleId: string;
  at: string;
  input: unknown;
  output: unknown;
  latencyMs: number;
  costUsd: number;
  promptTokens: number;
  completionTokens: number;
  /** `recording` when the LLM answer was itself replayed from a cassette. */
  provenance: "live" | "recording";
}

/** What a call left to sample, before redaction and caps. */
export type SampleInput = Omit<Sample, "sampleId" | "at">;

const scope = (appId: string) => `kiln:jit:${appId}`;
const prefix = (componentId: string) => `sample:${componentId}:`;

/**
 * Sampled pairs per component on the runtime store (embedded or Redis), keyed by time so a
 * prefix listing is already in time order. Pairs past the size caps are skipped before any other
 * work, every other pair is redacted before it is written (skipped too when redacting it would
 * cost more than `regex.work`: an unredacted pair is never stored), each expires after the
 * retention period, and the oldest go once a component holds more than `maxSamples`.
 */
export class SampleStore {
  readonly #store: StoreDriver;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #sinceTrim = new Map<string, number>();
  #seq = 0;

  constructor(store: StoreDriver, opts: { clock?: Clock; random?: () => number } = {}) {
    this.#store = store;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
  }

  /** Records one pair if the sampling rate and size caps let it; answers whether it did. */
  async record(
    appId: string,
    componentId: string,
    pair: SampleInput,
    config: SamplingConfig,
  ): Promise<boolean> {
    if (!config.enabled || config.rate <= 0 || this.#random() >= config.rate) return false;
    if (!fits(pair.input, pair.output, config)) return false;
    let redacted: { input: unknown; output: unknown };
    try {
      redacted = redactPair(pair.input, pair.output, config.redact, new RegexMeter());
    } catch (err) {
      if (err instanceof KilnError) return false; // over the regex budget, or a refused pattern
      throw err;
    }
    const inputText = JSON.stringify(redacted.input) ?? "null";
    const outputText = JSON.stringify(redacted.output) ?? "null";
    // Masks can be longer than what they replace, so the caps hold for what is stored too.
    if (inputText.length > config.maxInputBytes || outputText.length > config.maxOutputBytes) {
      return false;
    }
    const now = this.#clock.now();
    const seq = String(this.#seq++ % 1e6).padStart(6, "0");
    const sampleId = `${String(now).padStart(14, "0")}-${seq}-${crypto.randomUUID().slice(0, 8)}`;
    const sample: Sample = {
      ...pair,
      sampleId,
      at: new Date(now).toISOString(),
      input: JSON.parse(inputText),
      output: JSON.parse(outputText),
    };
    const ttl = Math.ceil(config.retentionDays * 86_400);
    await this.#store.set(
      scope(appId),
      `${prefix(componentId)}${sampleId}`,
      sample as unknown as JsonValue,
      ttl,
    );
    const key = `${appId}\0${componentId}`;
    const since = (this.#sinceTrim.get(key) ?? 0) + 1;
    this.#sinceTrim.set(key, since);
    if (since >= Math.max(10, Math.ceil(config.maxSamples / 10))) {
      this.#sinceTrim.set(key, 0);
      await this.trim(appId, componentId, config.maxSamples);
    }
    return true;
  }

  /** A component's pairs, oldest first. */
  async list(appId: string, componentId: string): Promise<Sample[]> {
    const rows = await this.#store.list(scope(appId), prefix(componentId));
    return rows.map((r) => r.value as unknown as Sample);
  }

  async count(appId: string, componentId: string): Promise<number> {
    return (await this.#store.list(scope(appId), prefix(componentId))).length;
  }

  /** Drops the oldest pairs beyond `max`; answers how many went. */
  async trim(appId: string, componentId: string, max: number): Promise<number> {
    const rows = await this.#store.list(scope(appId), prefix(componentId));
    const extra = rows.slice(0, Math.max(0, rows.length - max));
    for (const row of extra) await this.#store.delete(scope(appId), row.key);
    return extra.length;
  }

  /** Removes every pair of a component (or of the app). */
  async clear(appId: string, componentId?: string): Promise<void> {
    const rows = await this.#store.list(
      scope(appId),
      componentId ? prefix(componentId) : "sample:",
    );
    for (const row of rows) await this.#store.delete(scope(appId), row.key);
  }
}

/** Whether a pair is within the size caps as it came in, before any redaction work. */
function fits(input: unknown, output: unknown, config: SamplingConfig): boolean {
  return (JSON.stringify(input) ?? "null").length <= config.maxInputBytes &&
    (JSON.stringify(output) ?? "null").length <= config.maxOutputBytes;
}

/**
 * Output stability over pairs recorded since `since`: for inputs seen more than once, the
 * share of calls that gave that input's most common answer. `null` when no input repeated —
 * nothing says whether the LLM is stable yet.
 */
export function outputStability(samples: readonly Sample[], since = 0): number | null {
  const byInput = new Map<string, Map<string, number>>();
  for (const s of samples) {
    if (Date.parse(s.at) < since) continue;
    const k = canonicalJson(s.input);
    const outs = byInput.get(k) ?? new Map<string, number>();
    const o = typeof s.output === "string"
      ? JSON.stringify(s.output.trim())
      : canonicalJson(s.output);
    outs.set(o, (outs.get(o) ?? 0) + 1);
    byInput.set(k, outs);
  }
  let repeated = 0;
  let agreeing = 0;
  for (const outs of byInput.values()) {
    const counts = [...outs.values()];
    const total = counts.reduce((a, b) => a + b, 0);
    if (total < 2) continue;
    repeated += total;
    agreeing += Math.max(...counts);
  }
  return repeated === 0 ? null : agreeing / repeated;
}
