/**
 * The shadow check's sequential test (Wald's SPRT) on generated code's disagreement rate with the
 * LLM. H0: the code disagrees no more than the LLM disagrees with itself (`p0`, the noise the
 * gate measured, floored at `NOISE_FLOOR`); H1: it is wrong on `DEFECT` more of the calls
 * (`p1 = p0 + DEFECT`). Crossing the upper bound rolls back (false-rollback rate `ALPHA` per
 * test); crossing the lower bound accepts H0 (a missed `p1` defect at most `BETA` per test), the
 * version counts as proven, and a fresh test starts — so a drifting version is still caught.
 */
export const SHADOW_TEST = {
  /** Least disagreement H0 allows, so a deterministic LLM still gets a finite test. */
  NOISE_FLOOR: 0.002,
  /** Extra disagreement H1 stands for: the smallest defect the test is built to catch. */
  DEFECT: 0.015,
  /** Chance per test that a version as good as H0 is rolled back. */
  ALPHA: 0.005,
  /** Chance per test that a version as bad as H1 is passed as proven. */
  BETA: 0.05,
} as const;

/** What the shadow test has seen of one live version, as status and audit show it. */
export interface ShadowFigures {
  checks: number;
  agreements: number;
  /** Agreement over the current test's checks; null before the first. */
  rollingAgreement: number | null;
  /** Checks and disagreements in the current test, its log-likelihood ratio and bounds. */
  testChecks: number;
  testDisagreements: number;
  llr: number;
  bounds: { rollback: number; proven: number };
  p0: number;
  p1: number;
  /** Whether a test has accepted H0 since the version went live. */
  proven: boolean;
}

/** A test as the runtime store keeps it, so every node of a cluster pushes into one test. */
export interface ShadowState {
  p0: number;
  llr: number;
  checks: number;
  agreements: number;
  testChecks: number;
  testAgreements: number;
  proven: boolean;
}

/** One live version's shadow test. */
export class ShadowTest {
  readonly p0: number;
  readonly p1: number;
  readonly #agree: number;
  readonly #disagree: number;
  readonly #upper = Math.log((1 - SHADOW_TEST.BETA) / SHADOW_TEST.ALPHA);
  readonly #lower = Math.log(SHADOW_TEST.BETA / (1 - SHADOW_TEST.ALPHA));
  #llr = 0;
  #checks = 0;
  #agreements = 0;
  #testChecks = 0;
  #testAgreements = 0;
  #proven = false;

  /** `llmNoise`: how often the LLM disagrees with itself, as the gate measured it. */
  constructor(llmNoise = 0) {
    this.p0 = Math.min(0.5, Math.max(SHADOW_TEST.NOISE_FLOOR, llmNoise));
    this.p1 = this.p0 + SHADOW_TEST.DEFECT;
    this.#agree = Math.log((1 - this.p1) / (1 - this.p0));
    this.#disagree = Math.log(this.p1 / this.p0);
  }

  get proven(): boolean {
    return this.#proven;
  }

  /** Adds one check; answers `rollback` when the test rejects H0, `proven` when it accepts it. */
  push(agreed: boolean): "rollback" | "proven" | null {
    this.#checks++;
    this.#testChecks++;
    if (agreed) {
      this.#agreements++;
      this.#testAgreements++;
    }
    this.#llr += agreed ? this.#agree : this.#disagree;
    if (this.#llr >= this.#upper) return "rollback";
    if (this.#llr > this.#lower) return null;
    this.#proven = true;
    this.#llr = 0;
    this.#testChecks = 0;
    this.#testAgreements = 0;
    return "proven";
  }

  snapshot(): ShadowFigures {
    return {
      checks: this.#checks,
      agreements: this.#agreements,
      rollingAgreement: this.#testChecks ? this.#testAgreements / this.#testChecks : null,
      testChecks: this.#testChecks,
      testDisagreements: this.#testChecks - this.#testAgreements,
      llr: Math.round(this.#llr * 1000) / 1000,
      bounds: {
        rollback: Math.round(this.#upper * 1000) / 1000,
        proven: Math.round(this.#lower * 1000) / 1000,
      },
      p0: this.p0,
      p1: this.p1,
      proven: this.#proven,
    };
  }

  state(): ShadowState {
    return {
      p0: this.p0,
      llr: this.#llr,
      checks: this.#checks,
      agreements: this.#agreements,
      testChecks: this.#testChecks,
      testAgreements: this.#testAgreements,
      proven: this.#proven,
    };
  }

  static from(state: ShadowState): ShadowTest {
    const test = new ShadowTest(state.p0);
    test.#llr = state.llr;
    test.#checks = state.checks;
    test.#agreements = state.agreements;
    test.#testChecks = state.testChecks;
    test.#testAgreements = state.testAgreements;
    test.#proven = state.proven;
    return test;
  }
}
