import type { Evidence } from "./evidence.ts";
import type { GateRun, SliceResult } from "./gate.ts";

/** The gate's verdict on one candidate (committed as `report.json`). */
export interface GateReport {
  version: string;
  decision: "activate" | "reject" | "undecided";
  reasons: string[];
  threshold: number;
  /** The LLM's measured consistency, agreement per class and cluster, and what was too thin. */
  evidence: Omit<Evidence, "verdict" | "reasons">;
  tests: GateRun["tests"];
  gate: SliceResult;
  hidden: Omit<SliceResult, "mismatches"> & { mismatches: SliceResult["mismatches"] };
  baseline: number;
  slices: { examples: number; gate: number; hidden: number };
  coder: { model: string; promptTokens: number; completionTokens: number; costUsd: number };
  commit?: string;
}

/**
 * Decides on a candidate: every generated test passes, the sandbox never stopped it, it beats
 * answering the most common output (a constant handler is refused however skewed the traffic),
 * and the gate slice's evidence says it is not worse than the LLM and, with confidence, good
 * enough (`weighEvidence`). A candidate failing any hard check is rejected even when the
 * evidence alone would only be undecided. The hidden slice is reported, never decided on, so
 * it stays an honest estimate of how the code does on traffic nobody tuned against.
 */
export function decide(
  run: GateRun,
  evidence: Evidence,
): { decision: GateReport["decision"]; reasons: string[] } {
  const reasons: string[] = [];
  const { tests, gate } = run;
  for (const f of new Set(run.sandboxFailures)) reasons.push(`the sandbox stopped the code: ${f}`);
  if (tests.total === 0) reasons.push("the coder wrote no test cases");
  if (tests.passed < tests.total) {
    reasons.push(`${tests.total - tests.passed} of ${tests.total} generated tests fail`);
  }
  if (gate.total > 1 && run.baseline < 1 && (run.constant || gate.agreement <= run.baseline)) {
    reasons.push(
      `the code does no better than answering the most common output (${pct(run.baseline)})`,
    );
  }
  if (evidence.verdict === "reject") reasons.push(...evidence.reasons);
  if (reasons.length) return { decision: "reject", reasons };
  return { decision: evidence.verdict, reasons: evidence.reasons };
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}
