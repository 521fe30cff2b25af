/** Rolling agreement of generated code with the LLM over the last `window` shadow checks. */
export class ShadowWindow {
  readonly #results: boolean[] = [];
  #checks = 0;
  #agreements = 0;

  constructor(readonly window: number) {}

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
