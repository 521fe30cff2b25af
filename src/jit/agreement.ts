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

/** The Wilson score interval's upper bound at 95% confidence: how high agreement could be. */
export function wilsonUpperBound(agreed: number, total: number, z = 1.959964): number {
  if (total <= 0) return 1;
  return 1 - wilsonLowerBound(total - agreed, total, z);
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): how likely `k` or more disagreements in `n` are when each
 * happens at rate `p`. Summed in log space term by term (n is a slice size, at most thousands),
 * so it stays exact where a normal approximation is worst: small k, small p.
 */
export function binomialTailAtLeast(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p), lq = Math.log1p(-p);
  // log C(n, k) p^k q^(n-k), then the ratio to the next term.
  let logTerm = 0;
  for (let i = 1; i <= k; i++) logTerm += Math.log((n - k + i) / i);
  logTerm += k * lp + (n - k) * lq;
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logTerm);
    logTerm += Math.log((n - i) / (i + 1)) + lp - lq;
  }
  return Math.min(1, sum);
}
