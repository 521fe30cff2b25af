import { Badge, Json } from "../common.ts";
import { html } from "../html.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The report's one-line footer: threshold, slice sizes, the coder's model, tokens and cost. */
// deno-lint-ignore no-explicit-any -- GateReport per the contract
function summary(r: any): string {
  const parts = [
    `Threshold ${pct(r.threshold)}`,
    `slices: ${r.slices.examples} examples, ${r.slices.gate} gate, ${r.slices.hidden} hidden`,
    `coder ${r.coder.model}: ${r.coder.promptTokens}+${r.coder.completionTokens} tokens, ` +
    `$${r.coder.costUsd.toFixed(4)}`,
  ];
  if (r.commit) parts.push(`commit ${String(r.commit).slice(0, 8)}`);
  return parts.join(" · ");
}

/** A JIT gate report: the decision and why, tests, gate and hidden slices, and what the coder cost. */
// deno-lint-ignore no-explicit-any -- GateReport per the contract
export function GateReportView({ report: r }: { report: any }) {
  return html`<section class="gate-report" aria-label=${`Gate report ${r.version}`}>
    <h4>Gate report ${r.version} — <${Badge} value=${r.decision} /></h4>
    ${
    r.reasons?.length > 0 && html`<ul>${
      r.reasons.map((x: string) => html`<li class="wrap">${x}</li>`)
    }</ul>`
  }
    <table class="table">
      <thead><tr><th scope="col">Check</th><th scope="col">Passed</th><th scope="col">Agreement</th><th scope="col">Lower bound (95%)</th></tr></thead>
      <tbody>
        <tr><th scope="row">Generated tests</th><td>${r.tests.passed}/${r.tests.total}</td><td>—</td><td>—</td></tr>
        <tr><th scope="row">Gate slice</th><td>${r.gate.agreed}/${r.gate.total}</td><td>${
    pct(r.gate.agreement)
  }</td><td>${pct(r.gate.lowerBound)}</td></tr>
        <tr><th scope="row">Hidden slice</th><td>${r.hidden.agreed}/${r.hidden.total}</td><td>${
    pct(r.hidden.agreement)
  }</td><td>${pct(r.hidden.lowerBound)}</td></tr>
      </tbody>
    </table>
    <p class="muted">${summary(r)}</p>
    ${
    r.tests.failures?.length > 0 && html`
      <details>
        <summary>Test failures (${r.tests.failures.length})</summary>
        <ul>${r.tests.failures.map((f: { name: string; message: string }) =>
          html`<li class="wrap"><strong>${f.name}</strong>: ${f.message}</li>`
        )}</ul>
      </details>
    `
  }
    ${
    r.gate.mismatches?.length > 0 && html`
      <details>
        <summary>Mismatches (${r.gate.mismatches.length})</summary>
        <${Json} value=${r.gate.mismatches} label="Gate mismatches" />
      </details>
    `
  }
  </section>`;
}
