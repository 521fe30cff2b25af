import { useState } from "preact/hooks";
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
import { RulesEditor } from "./rules.ts";
import { Candidate } from "./candidate.ts";

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
