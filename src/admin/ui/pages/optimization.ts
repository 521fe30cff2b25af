import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import {
  AppPicker,
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  Json,
  Link,
  Loading,
  PageHead,
  useLoad,
  useLoadedMark,
} from "../common.ts";
import { html } from "../html.ts";
import { BASE, setQuery } from "../router.ts";
import { GateReportView } from "./gate_report.ts";
import { RulesEditor } from "./rules.ts";

// deno-lint-ignore no-explicit-any -- JitComponentStatus per the contract
type Status = any;

/**
 * Optimization: global rules, and per app the oracle's recommendations, JIT candidates with
 * their state and shadow agreement, generation progress and gate reports, promote and rollback,
 * and the audit log. App and component rules live in the app's `optimization_config.yaml`.
 */
export function OptimizationPage({ query }: { query: URLSearchParams }) {
  const appId = query.get("app") ?? "";
  const apps = useLoad(() => api("GET", "/v1/apps"), []);
  const jit = useLoad(
    () => (appId
      ? api<{ components: Status[] }>("GET", `/v1/apps/${enc(appId)}/jit`)
      : Promise.resolve(null)),
    [appId],
  );
  const recs = useLoad(
    () => (appId
      ? api("GET", `/v1/apps/${enc(appId)}/optimization/recommendations`)
      : Promise.resolve(null)),
    [appId],
  );
  const audit = useLoad(
    () => (appId
      ? api("GET", `/v1/apps/${enc(appId)}/optimization/audit?limit=50`)
      : Promise.resolve(null)),
    [appId],
  );
  useLoadedMark("optimization", !apps.loading && !jit.loading);
  const [evalResult, setEvalResult] = useState<unknown>(null);
  const [evalError, setEvalError] = useState<unknown>(null);
  const evaluate = async () => {
    setEvalError(null);
    try {
      setEvalResult(await api("POST", "/v1/optimization/evaluate", appId ? { appId } : {}));
      recs.reload();
      jit.reload();
    } catch (err) {
      setEvalError(err);
    }
  };
  const components: Status[] = jit.data?.components ?? [];
  return html`
    <${PageHead} title="Optimization" />
    <div class="row">
      <${AppPicker} apps=${apps.data?.apps ?? []} value=${appId} onChange=${(v: string) =>
        setQuery("app", v)} />
      <button type="button" class="secondary" onClick=${evaluate}>Run the oracle now</button>
      ${appId &&
        html`<${Link} href=${`${BASE}/apps/${
          enc(appId)
        }?tab=definitions&file=optimization_config.yaml`}>App and component rules<//>`}
    </div>
    <${ErrorBox} error=${evalError} title="Evaluation failed" />
    ${evalResult && html`
      <details open>
        <summary>Oracle decisions</summary>
        <${Json} value=${evalResult} label="Oracle decisions" />
      </details>
    `}
    ${!appId && html`<p class="empty">Choose an app to see its JIT candidates.</p>`}
    <${ErrorBox} error=${jit.error} title="Could not read JIT state" />
    ${jit.loading && appId && !jit.data && html`<${Loading} what="JIT state" />`}
    ${appId && jit.data && components.length === 0 &&
      html`<${Empty}>This app has no LLM or JIT components.<//>`}
    ${components.length > 0 && html`<h2>JIT candidates</h2>
      ${
      components.map((c) =>
        html`<${Candidate} key=${c.componentId} appId=${appId} status=${c} onChange=${() => (jit
          .reload(),
          audit.reload())} />`
      )
    }`}
    ${appId && html`
      <div class="grid2">
        <section aria-labelledby="recs-h"><h2 id="recs-h">Recommendations</h2>
              <${ErrorBox} error=${recs.error} title="Could not read recommendations" />
              ${recs.data && (recs.data.recommendations ?? []).length === 0 &&
                html`<${Empty}>No recommendations.<//>`}
              <ul>${// deno-lint-ignore no-explicit-any -- oracle recommendations
              (recs.data?.recommendations ?? []).map((r: any) =>
                html`<li class="wrap"><strong>${r.componentId ?? ""}</strong> ${r.action ?? ""} ${
                  r.reason ?? r.message ?? ""
                }${" "}${r.ruleId && html`<span class="muted">(rule ${r.ruleId})</span>`}</li>`
              )}</ul>
            </section>
        <section aria-labelledby="audit-h"><h2 id="audit-h">Audit log</h2>
              <${ErrorBox} error=${audit.error} title="Could not read the audit log" />
              ${audit.data && (audit.data.entries ?? []).length === 0 &&
                html`<${Empty}>No decisions recorded.<//>`}
              <ol class="audit">${// deno-lint-ignore no-explicit-any -- audit entries
              (audit.data?.entries ?? []).map((e: any) =>
                html`<li class="wrap"><span class="muted">${
                  fmtTime(e.at ?? e.timestamp)
                }</span> <strong>${e.componentId ?? ""}</strong>${" "}
          <${Badge} value=${e.action} />${" "}${e.reason ?? ""}${
                  e.actor
                    ? html`
                      <span class="muted">by ${e.actor}</span>
                    `
                    : ""
                }</li>`
              )}</ol>
            </section>
      </div>
    `}
    <${RulesEditor} />
  `;
}

function Candidate(
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
  const running = generation?.status === "running";
  useEffect(() => {
    if (!running) return;
    const source = new EventSource(`${base}/generations/${enc(generation.generationId)}/events`);
    const finish = async () => {
      source.close();
      try {
        setGeneration(await api("GET", `${base}/generations/${enc(generation.generationId)}`));
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
      (${shadow.agreements}/${shadow.checks} checks, window ${shadow.window})</p>`
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
