import { canonicalJson } from "../llm/mod.ts";

/**
 * Whether generated code answered what the LLM answered: JSON values compare canonically
 * (object key order ignored), strings after trimming surrounding whitespace — the two ways an
 * LLM's answer varies without meaning anything different.
 */
export function sameOutput(expected: unknown, actual: unknown): boolean {
  if (typeof expected === "string" && typeof actual === "string") {
    return expected.trim() === actual.trim();
  }
  return canonicalJson(expected) === canonicalJson(actual);
}

/**
 * The Wilson score interval's lower bound at 95% confidence: how low the true agreement could
 * plausibly be given `agreed` of `total`. It is the honest figure for small slices, where
 * 20 of 20 is much weaker evidence than 950 of 1,000.
 */
export function wilsonLowerBound(agreed: number, total: number, z = 1.959964): number {
  if (total <= 0) return 0;
  const p = agreed / total;
  const z2 = z * z;
  const centre = p + z2 / (2 * total);
  const margin = z * Math.sqrt((p * (1 - p) + z2 / (4 * total)) / total);
  return Math.max(0, (centre - margin) / (1 + z2 / total));
}

/** Rounds a share for reports (four decimals). */
export function share(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
