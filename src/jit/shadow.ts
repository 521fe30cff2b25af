/** A window as stored: its size, the last results, and the counts since it started. */
export interface ShadowState {
  window: number;
  results: boolean[];
  checks: number;
  agreements: number;
}

/** Rolling agreement of generated code with the LLM over the last `window` shadow checks. */
export class ShadowWindow {
  readonly #results: boolean[] = [];
  #checks = 0;
  #agreements = 0;

  constructor(readonly window: number) {}

  static from(state: ShadowState): ShadowWindow {
    const w = new ShadowWindow(state.window);
    w.#results.push(...state.results.slice(-state.window));
    w.#checks = state.checks;
    w.#agreements = state.agreements;
    return w;
  }

  state(): ShadowState {
    return {
      window: this.window,
      results: [...this.#results],
      checks: this.#checks,
      agreements: this.#agreements,
    };
  }

  push(agreed: boolean): void {
    this.#results.push(agreed);
    if (this.#results.length > this.window) this.#results.shift();
    this.#checks++;
    if (agreed) this.#agreements++;
  }

  /** Agreement over the window; null until it holds enough checks to mean anything. */
  rolling(minChecks = Math.min(this.window, 10)): number | null {
    if (this.#results.length < minChecks) return null;
    return this.#results.filter(Boolean).length / this.#results.length;
  }

  snapshot() {
    return {
      checks: this.#checks,
      agreements: this.#agreements,
      rollingAgreement: this.rolling(1),
      window: this.window,
    };
  }
}
