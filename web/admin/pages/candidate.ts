import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { Badge, ErrorBox, fmtTime } from "../common.ts";
import { html } from "../html.ts";
import { GateReportView } from "./gate_report.ts";

// deno-lint-ignore no-explicit-any -- JitComponentStatus per the contract
type Status = any;

/**
 * One JIT candidate: its state and versions, Generate (following the generation's progress over
 * SSE to its gate report), Promote and Roll back.
 */
export function Candidate(
  { appId, status, onChange }: { appId: string; status: Status; onChange: () => void },
) {
  const [generation, setGeneration] = useState<Status>(status.lastGeneration ?? null);
  const [events, setEvents] = useState<{ at: string; phase: string; message: string }[]>(
    status.lastGeneration?.events ?? [],
  );
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState<string>(
    status.versions?.[status.versions.length - 1]?.version ?? "",
  );
  const base = `/v1/apps/${enc(appId)}/jit`;
  const generations = `/v1/apps/${enc(appId)}/optimization/generations`;
  const running = generation?.status === "running";
  useEffect(() => {
    if (!running) return;
    const source = new EventSource(`${generations}/${enc(generation.generationId)}/events`);
    const finish = async () => {
      source.close();
      try {
        setGeneration(await api("GET", `${generations}/${enc(generation.generationId)}`));
      } catch (err) {
        setError(err);
      }
      onChange();
    };
    source.addEventListener("progress", (e) => {
      try {
        const ev = JSON.parse((e as MessageEvent).data);
        setEvents((list) => [...list, ev]);
      } catch { /* a malformed event is skipped */ }
    });
    source.addEventListener("done", finish);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) finish();
    };
    return () => source.close();
  }, [running, generation?.generationId]);
  const act = async (what: "generate" | "promote" | "rollback") => {
    setError(null);
    try {
      if (what === "generate") {
        const g = await api("POST", `${base}/${enc(status.componentId)}/generate`, {
          reason: "admin panel",
        });
        setEvents([]);
        setGeneration({
          ...g,
          generationId: g.generationId,
          status: g.status ?? "running",
          events: [],
        });
      } else if (what === "promote") {
        await api("POST", `${base}/${enc(status.componentId)}/promote`, { version });
        onChange();
      } else {
        if (!confirm(`Roll ${status.componentId} back to its LLM handler?`)) return;
        await api("POST", `${base}/${enc(status.componentId)}/rollback`, { reason: "admin panel" });
        onChange();
      }
    } catch (err) {
      setError(err);
    }
  };
  const shadow = status.shadow;
  return html`<section class="card candidate" aria-labelledby=${`cand-${status.componentId}`} data-component=${status.componentId}>
    <div class="row">
      <h3 id=${`cand-${status.componentId}`} class="wrap">${status.componentId}</h3>
      <${Badge} value=${status.state} />
      <span class="muted">serves <strong>${status.handlerType}</strong>${
    status.activeVersion ? ` · active ${status.activeVersion}` : ""
  } · ${status.samples} samples</span>
      <span class="spacer"></span>
      <button type="button" onClick=${() => act("generate")} disabled=${running}>${
    running ? "Generating…" : "Generate JIT"
  }</button>
      ${
    (status.versions ?? []).length > 0 && html`
      <label class="inline" for=${`ver-${status.componentId}`}>Version
              <select id=${`ver-${status.componentId}`} value=${version} onChange=${(e: Event) =>
                setVersion((e.target as HTMLSelectElement).value)}>
                ${status.versions.map((v: Status) => html`<option>${v.version}</option>`)}
              </select></label>
      <button type="button" class="secondary" onClick=${() => act("promote")}>Promote</button>
    `
  }
      ${
    status.handlerType === "jit" && html`<button type="button" class="danger" onClick=${() =>
      act("rollback")}>Roll back</button>`
  }
    </div>
    <${ErrorBox} error=${error} />
    ${status.rollbackReason && html`<p class="bad wrap">Rolled back: ${status.rollbackReason}</p>`}
    ${
    shadow &&
    html`<p>Shadow agreement: <strong>${
      shadow.rollingAgreement === null ? "—" : `${(shadow.rollingAgreement * 100).toFixed(1)}%`
    }</strong>
      (${shadow.agreements}/${shadow.checks} checks; sequential test ${shadow.llr} of ${shadow.bounds?.rollback} to roll back, ${
      shadow.proven ? "proven" : "on probation"
    })</p>`
  }
    ${
    (status.versions ?? []).length > 0 && html`
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
            <th scope="col">Decision</th>
            <th scope="col">Agreement</th>
            <th scope="col">Lower bound</th>
          </tr>
        </thead>
        <tbody>${status.versions.map((v: Status) =>
          html`
            <tr>
              <th scope="row">${v.version}</th>
              <td>${fmtTime(v.createdAt)}</td>
              <td>
                <${Badge} value=${v.decision} />
              </td>
              <td>${(v.agreement * 100).toFixed(1)}%</td>
              <td>${(v.lowerBound * 100).toFixed(1)}%</td>
            </tr>
          `
        )}</tbody>
      </table>
    `
  }
    ${
    generation && html`<div class="generation" aria-live="polite">
      <h4>Generation <code>${generation.generationId}</code> <${Badge} value=${generation.status} /></h4>
      <ol class="progress">${
      events.map((e) => html`<li><span class="muted">${e.phase}</span> ${e.message}</li>`)
    }</ol>
      ${
      generation.error && html`<${ErrorBox} title="Generation failed" error=${generation.error} />`
    }
      ${generation.report && html`<${GateReportView} report=${generation.report} />`}
    </div>`
  }
  </section>`;
}
