import { binomialTailAtLeast, share, wilsonLowerBound, wilsonUpperBound } from "./agreement.ts";
import { type LlmConsistency, llmConsistency } from "./consistency.ts";
import { clustersOf, type Strata, strataOf } from "./strata.ts";

/** One group's agreement on the gate slice (an output class or an input cluster). */
export interface GroupResult {
  key: string;
  /** Share of all recorded calls in this group. */
  traffic: number;
  total: number;
  agreed: number;
  agreement: number;
  lowerBound: number;
  /** Whether the slice holds enough of the group to judge it (`MIN_GROUP` distinct inputs). */
  judged: boolean;
}

/** What the gate slice shows about a candidate against the LLM it would replace. */
export interface Evidence {
  verdict: "activate" | "reject" | "undecided";
  reasons: string[];
  llm: LlmConsistency;
  classes?: GroupResult[];
  clusters?: GroupResult[];
  /** Groups too thin in the gate slice to judge, described. */
  tooFew: string[];
  /** When undecided: about how many more recorded calls a decision needs. */
  needMoreSamples?: number;
}

/** A judged gate case: the recorded pair and whether the code reproduced it. */
export interface JudgedCase {
  input: unknown;
  output: unknown;
  agreed: boolean;
  /** The code threw instead of answering: never the LLM's noise, which always answers. */
  threw?: boolean;
}

/** Fewest distinct held-out inputs of a group to call the group judged. */
export const MIN_GROUP = 5;
/** Groups at least this share of traffic must be judged before code may activate. */
export const MUST_JUDGE_SHARE = 0.01;
/** Chance the gate calls code worse than the LLM when it is not (split over every test made). */
export const GATE_ALPHA = 0.05;

/**
 * Decides on evidence rather than a point estimate (ADR 0017):
 * - **reject** when the code throws on a held-out input (the LLM answered every one, so its
 *   noise cannot explain a throw), or disagrees with the held-out recorded answers (gate and
 *   hidden slices: a defect is a defect wherever it shows) more than the LLM's own
 *   measured inconsistency explains (an exact binomial test, overall and per output class and
 *   input cluster, so a rare class cannot hide in the average), or when even the Wilson upper
 *   bound of its agreement is under the threshold;
 * - **activate** when no test says worse, the Wilson lower bound reaches the threshold, and
 *   every output class with at least 1% of traffic had `MIN_GROUP` held-out inputs;
 * - else **undecided**, saying about how many more recorded calls would settle it.
 */
export function weighEvidence(
  gate: readonly JudgedCase[],
  recorded: readonly { input: unknown; output: unknown }[],
  opts: { threshold: number; gateShare: number; examplesShare?: number },
  hidden: readonly JudgedCase[] = [],
): Evidence {
  // Disagreements anywhere held out count against the code: a defect seen in the hidden slice
  // is still a defect. Only the activation bound is the gate slice's alone.
  const judged = [...gate, ...hidden];
  const llm = llmConsistency(recorded);
  const strata = strataOf(recorded);
  const clusterStrata = clustersOf(recorded);
  const classes = strata.kind === "output" ? groups(judged, recorded, strata) : undefined;
  const clusters = clusterStrata ? groups(judged, recorded, clusterStrata) : undefined;
  const all = [...classes ?? [], ...clusters ?? []];
  const alpha = GATE_ALPHA / (1 + all.length);
  const noise = `the LLM disagrees with itself on ${pct(llm.noise)} of calls (${
    llm.basis === "measured"
      ? `measured on ${llm.repeatedCalls} calls of ${llm.repeatedInputs} repeated inputs`
      : "assumed: no input was recorded twice"
  })`;
  const reject: string[] = [];
  const undecided: string[] = [];
  let needMore = 0;

  const n = gate.length;
  const agreed = gate.filter((c) => c.agreed).length;
  const lower = wilsonLowerBound(agreed, n), upper = wilsonUpperBound(agreed, n);
  const nj = judged.length, wrong = judged.filter((c) => !c.agreed).length;
  const threw = judged.filter((c) => c.threw).length;
  // Measured noise excuses a different answer, never no answer: every recorded call answered.
  if (threw > 0 && llm.noise > 0) {
    reject.push(
      `the code threw on ${threw} of ${nj} held-out inputs the LLM answered; the LLM's noise ` +
        `(${pct(llm.noise)}) is other answers, never none`,
    );
  }
  if (nj > 0 && binomialTailAtLeast(wrong, nj, llm.noise) < alpha) {
    reject.push(
      `${wrong} of ${nj} held-out answers (gate and hidden slices) disagree; ${noise}, so ` +
        `that many are defects`,
    );
  } else if (n > 0 && upper < opts.threshold) {
    reject.push(
      `gate agreement ${pct(agreed / n)} is below the threshold ${pct(opts.threshold)} even ` +
        `at its upper bound (${pct(upper)})`,
    );
  }
  const label = (g: GroupResult, kind: string) => `${kind} ${g.key || "(empty)"}`;
  for (const [list, kind] of [[classes, "output class"], [clusters, "input cluster"]] as const) {
    for (const g of list ?? []) {
      const wrong = g.total - g.agreed;
      if (wrong > 0 && binomialTailAtLeast(wrong, g.total, llm.noise) < alpha) {
        reject.push(
          `${label(g, kind)} (${pct(g.traffic)} of traffic): ${g.agreed}/${g.total} agree`,
        );
      }
    }
  }
  const tooFew: string[] = [];
  let unjudgedTraffic = 0;
  for (const [list, kind] of [[classes, "output class"], [clusters, "input cluster"]] as const) {
    for (const g of list ?? []) {
      if (g.judged) continue;
      tooFew.push(
        `${label(g, kind)}: ${g.total} in the held-out slices, ${pct(g.traffic)} of traffic`,
      );
      if (kind === "output class") unjudgedTraffic += g.traffic;
      // Only output classes hold activation back: input clusters are finer than the traffic can
      // fill, and a disagreement in one already rejects above.
      if (kind === "output class" && g.traffic >= MUST_JUDGE_SHARE) {
        undecided.push(`too few of ${label(g, kind)} to judge it (${g.total} < ${MIN_GROUP})`);
        needMore = Math.max(
          needMore,
          Math.ceil(MIN_GROUP / (g.traffic * (1 - (opts.examplesShare ?? 0.2)))) - recorded.length,
        );
      }
    }
  }
  if (unjudgedTraffic > 1 - opts.threshold) {
    undecided.push(`output classes too thin to judge cover ${pct(unjudgedTraffic)} of traffic`);
  }
  if (n === 0) undecided.push("the gate slice is empty");
  else if (lower < opts.threshold) {
    const need = slicesNeeded(agreed / n, opts.threshold);
    undecided.push(
      `gate agreement ${pct(agreed / n)} (${agreed}/${n}) has a lower bound of ${pct(lower)}, ` +
        `under the threshold ${pct(opts.threshold)}`,
    );
    if (need !== null) {
      needMore = Math.max(needMore, Math.ceil((need * recorded.length) / n) - recorded.length);
    }
  }
  const base = { llm, ...(classes ? { classes } : {}), ...(clusters ? { clusters } : {}), tooFew };
  if (reject.length) return { verdict: "reject", reasons: reject, ...base };
  if (undecided.length) {
    const more = needMore > 0 ? needMore : undefined;
    return {
      verdict: "undecided",
      reasons: [
        ...undecided,
        more
          ? `collect about ${more} more recorded calls before generating again`
          : "collect more recorded calls before generating again",
      ],
      ...base,
      ...(more ? { needMoreSamples: more } : {}),
    };
  }
  return {
    verdict: "activate",
    reasons: [
      `gate agreement ${pct(agreed / n)} (${agreed}/${n}), lower bound ${pct(lower)} ≥ ` +
      `${pct(opts.threshold)}; ${noise}`,
    ],
    ...base,
  };
}

function groups(
  gate: readonly JudgedCase[],
  recorded: readonly { input: unknown; output: unknown }[],
  strata: Strata,
): GroupResult[] {
  const traffic = new Map<string, number>();
  for (const p of recorded) traffic.set(strata.of(p), (traffic.get(strata.of(p)) ?? 0) + 1);
  const seen = new Map<string, { total: number; agreed: number }>();
  for (const c of gate) {
    const k = strata.of(c);
    const g = seen.get(k) ?? { total: 0, agreed: 0 };
    g.total++;
    if (c.agreed) g.agreed++;
    seen.set(k, g);
  }
  return [...traffic.entries()].sort((a, b) => b[1] - a[1]).map(([key, count]) => {
    const g = seen.get(key) ?? { total: 0, agreed: 0 };
    return {
      key,
      traffic: share(count / recorded.length),
      total: g.total,
      agreed: g.agreed,
      agreement: g.total ? share(g.agreed / g.total) : 0,
      lowerBound: share(wilsonLowerBound(g.agreed, g.total)),
      judged: g.total >= MIN_GROUP,
    };
  });
}

/**
 * Distinct gate inputs needed for the Wilson lower bound at agreement `rate` to reach `target`;
 * null when it never will (the rate itself is not above the target).
 */
export function slicesNeeded(rate: number, target: number): number | null {
  if (rate <= target) return null;
  for (let n = 1; n <= 1_000_000; n = Math.ceil(n * 1.05)) {
    if (wilsonLowerBound(rate * n, n) >= target) {
      let lo = Math.max(1, Math.floor(n / 1.05));
      while (wilsonLowerBound(rate * lo, lo) < target) lo++;
      return lo;
    }
  }
  return null;
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}
