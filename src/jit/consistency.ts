import { canonicalJson } from "../llm/mod.ts";
import { outputKey } from "./strata.ts";

/** How consistently the LLM answers the same input: the bar generated code is held to. */
export interface LlmConsistency {
  /** Distinct inputs recorded more than once, and the calls they account for. */
  repeatedInputs: number;
  repeatedCalls: number;
  /** Calls among those that gave their input's most common answer. */
  consistentCalls: number;
  /** `consistentCalls / repeatedCalls`; null when no input repeated. */
  stability: number | null;
  /**
   * The rate at which the LLM disagrees with itself, as the gate and the shadow test use it:
   * measured when inputs repeated, else 0 — with no sign of noise, a disagreement on a distinct
   * input is a defect of the code, not noise of the model.
   */
  noise: number;
  basis: "measured" | "assumed deterministic";
}

/**
 * The LLM's self-consistency from recorded pairs: inputs that repeat exactly (canonical JSON,
 * text trimmed) and whether they got the same answer. Near-identical inputs are deliberately not
 * pooled: two inputs that differ only in case may rightly get different answers, and counting
 * those as noise would excuse real defects.
 */
export function llmConsistency(
  pairs: readonly { input: unknown; output: unknown }[],
): LlmConsistency {
  const byInput = new Map<string, Map<string, number>>();
  for (const p of pairs) {
    const k = typeof p.input === "string" ? JSON.stringify(p.input.trim()) : canonicalJson(p.input);
    const outs = byInput.get(k) ?? new Map<string, number>();
    const o = outputKey(p.output);
    outs.set(o, (outs.get(o) ?? 0) + 1);
    byInput.set(k, outs);
  }
  let repeatedInputs = 0, repeatedCalls = 0, consistentCalls = 0;
  for (const outs of byInput.values()) {
    const counts = [...outs.values()];
    const total = counts.reduce((a, b) => a + b, 0);
    if (total < 2) continue;
    repeatedInputs++;
    repeatedCalls += total;
    consistentCalls += Math.max(...counts);
  }
  const stability = repeatedCalls ? consistentCalls / repeatedCalls : null;
  return {
    repeatedInputs,
    repeatedCalls,
    consistentCalls,
    stability,
    noise: stability === null ? 0 : 1 - stability,
    basis: stability === null ? "assumed deterministic" : "measured",
  };
}
