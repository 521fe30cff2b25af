import type { GateRun, SliceResult } from "./gate.ts";

/** The gate's verdict on one candidate (committed as `report.json`). */
export interface GateReport {
  version: string;
  decision: "activate" | "reject";
  reasons: string[];
  threshold: number;
  tests: GateRun["tests"];
  gate: SliceResult;
  hidden: Omit<SliceResult, "mismatches"> & { mismatches: SliceResult["mismatches"] };
  baseline: number;
  slices: { examples: number; gate: number; hidden: number };
  coder: { model: string; promptTokens: number; completionTokens: number; costUsd: number };
  commit?: string;
}

/**
 * Decides on a candidate: every generated test passes, the gate slice agrees at least at the
 * threshold, and the code beats answering the most common output — a constant handler is
 * refused however skewed the traffic is. The hidden slice is reported, never decided on, so it
 * stays an honest estimate of how the code does on traffic nobody tuned against.
 */
export function decide(
  run: GateRun,
  threshold: number,
): { decision: GateReport["decision"]; reasons: string[] } {
  const reasons: string[] = [];
  const { tests, gate } = run;
  for (const f of new Set(run.sandboxFailures)) reasons.push(`the sandbox stopped the code: ${f}`);
  if (tests.total === 0) reasons.push("the coder wrote no test cases");
  if (tests.passed < tests.total) {
    reasons.push(`${tests.total - tests.passed} of ${tests.total} generated tests fail`);
  }
  if (gate.total === 0) reasons.push("the gate slice is empty");
  else if (gate.agreement < threshold) {
    reasons.push(
      `gate agreement ${pct(gate.agreement)} (${gate.agreed}/${gate.total}) is below the ` +
        `threshold ${pct(threshold)}`,
    );
  }
  if (gate.total > 1 && run.baseline < 1 && (run.constant || gate.agreement <= run.baseline)) {
    reasons.push(
      `the code does no better than answering the most common output (${pct(run.baseline)})`,
    );
  }
  return reasons.length ? { decision: "reject", reasons } : {
    decision: "activate",
    reasons: [`gate agreement ${pct(gate.agreement)} ≥ ${pct(threshold)}, all tests pass`],
  };
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}
