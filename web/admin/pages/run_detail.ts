import { useEffect, useState } from "preact/hooks";
import { api, enc, qs } from "../api.ts";
import {
  Badge,
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
import { BASE } from "../router.ts";

interface TraceEntry {
  stepId: string;
  attempt: number;
  status: string;
  startedAt: number;
  endedAt: number;
  error?: { code: string; message: string };
  nextStep?: string;
}

/**
 * One run's step timeline. While the run is running the page follows its server-sent events
 * (`/v1/apps/{appId}/runs/{runId}/events`; the cookie rides along, as EventSource sends it) and
 * re-reads the run on every event, so durations, outputs and errors appear as steps finish.
 */
export function RunDetailPage({ appId, runId }: { appId: string; runId: string }) {
  const run = useLoad(() => api("GET", `/v1/apps/${enc(appId)}/runs/${enc(runId)}`), [
    appId,
    runId,
  ]);
  // The workflow as it was at the run's revision: each step's type and input mapping.
  const workflowId: string | undefined = run.data?.workflowId;
  const revision: string | undefined = run.data?.revision;
  const definition = useLoad(
    () =>
      workflowId
        ? api(
          "GET",
          `/v1/apps/${enc(appId)}/workflows/${enc(workflowId)}${qs({ revision })}`,
        ).catch(() => null)
        : Promise.resolve(null),
    [appId, workflowId, revision],
  );
  const [live, setLive] = useState<"off" | "on" | "ended">("off");
  const [events, setEvents] = useState(0);
  const [cancelError, setCancelError] = useState<unknown>(null);
  useLoadedMark("run", !!run.data);
  const running = run.data?.status === "running";
  useEffect(() => {
    if (!running) return;
    const source = new EventSource(`/v1/apps/${enc(appId)}/runs/${enc(runId)}/events`);
    const onEvent = (e: MessageEvent) => {
      setEvents((n) => n + 1);
      run.reload();
      if (e.type === "run") {
        setLive("ended");
        source.close();
      }
    };
    source.onopen = () => setLive("on");
    source.addEventListener("step", onEvent);
    source.addEventListener("run", onEvent);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setLive("ended");
    };
    return () => source.close();
  }, [running, appId, runId]);
  const cancel = async () => {
    setCancelError(null);
    try {
      await api("POST", `/v1/apps/${enc(appId)}/runs/${enc(runId)}/cancel`);
      run.reload();
    } catch (err) {
      setCancelError(err);
    }
  };
  const r = run.data;
  const trace: TraceEntry[] = r?.trace ?? [];
  const t0 = r?.createdAt ?? 0;
  const t1 = Math.max(r?.endedAt ?? 0, ...trace.map((t) => t.endedAt), t0 + 1);
  return html`
    <${PageHead} title=${`Run ${runId}`}>
      ${r && html`<${Badge} value=${r.status} />`}
      <span class="muted" id="live-state" aria-live="polite">${live === "on"
        ? `live · ${events} events`
        : live === "ended"
        ? `stream ended · ${events} events`
        : ""}</span>
      <span class="spacer"></span>
      <${Link} href=${`${BASE}/runs?app=${enc(appId)}`}>All runs of ${appId}<//>
      ${running && html`<button type="button" class="danger" onClick=${cancel}>Cancel run</button>`}
    <//>
    <${ErrorBox} error=${run.error} title="Could not read the run" />
    <${ErrorBox} error=${cancelError} title="Cancel failed" />
    ${!r && run.loading && html`<${Loading} what="run" />`}
    ${r && html`
      <dl class="facts">
            <dt>Workflow</dt><dd class="wrap">${r.workflowId}</dd>
            <dt>Started</dt><dd>${fmtTime(r.createdAt)}</dd>
            <dt>Duration</dt><dd>${r.endedAt ? `${r.endedAt - r.createdAt} ms` : "running"}</dd>
            ${r.next && html`
              <dt>Next step</dt>
              <dd><code>${r.next}</code></dd>
            `}
            ${r.inFlight && html`
              <dt>In flight</dt>
              <dd><code>${r.inFlight.stepId}</code></dd>
            `}
          </dl>
          ${r.error &&
            html`<${ErrorBox} title=${`The run failed${
              r.error.stepId ? ` at ${r.error.stepId}` : ""
            }`} error=${{ code: r.error.code, message: r.error.message }} />`}
          <h2>Steps</h2>
          ${trace.length === 0 && html`<p class="empty">No step has finished yet.</p>`}
          <ol class="timeline" aria-label="Step timeline">
            ${trace.map((t, i) => {
              const left = ((t.startedAt - t0) / (t1 - t0)) * 100;
              const width = Math.max(0.5, ((t.endedAt - t.startedAt) / (t1 - t0)) * 100);
              const output = r.outputs?.[t.stepId];
              const def = definition.data?.definition?.steps?.[t.stepId];
              const mapping = def?.inputMapping && Object.entries(def.inputMapping);
              return html`<li class="step" data-step=${t.stepId}>
          <div class="row">
            <strong class="wrap">${t.stepId}</strong><${Badge} value=${t.status} />
            ${t.attempt > 1 && html`<span class="muted">attempt ${t.attempt}</span>`}
            <span class="muted">${t.endedAt - t.startedAt} ms</span>
            ${t.nextStep && html`<span class="muted">→ ${t.nextStep}</span>`}
          </div>
          <div class="bar" aria-hidden="true"><span style=${`left:${left}%;width:${width}%`}
            class=${`bar-${t.status}`}></span></div>
          ${t.error && html`<p class="bad"><code>${t.error.code}</code> ${t.error.message}</p>`}
          ${
                def && html`
                  <details>
                    <summary>Input mapping of ${t.stepId} (${def.type}${def.target?.subtype
                      ? ` ${def.target.subtype}`
                      : ""})</summary>
                    ${mapping && mapping.length > 0
                      ? html`<dl class="facts">${
                        mapping.map(([k, v]: [string, unknown]) =>
                          html`
                            <dt><code>${k}</code></dt>
                            <dd class="wrap"><code>${String(v)}</code></dd>
                          `
                        )
                      }</dl>`
                      : html`<p class="muted">No input mapping.</p>`}
                  </details>
                `
              }
          ${
                output !== undefined && html`
                  <details>
                    <summary>Output of ${t.stepId}</summary>
                    <${Json} value=${output} label=${`Output of step ${t.stepId} (${i + 1})`} />
                  </details>
                `
              }
        </li>`;
            })}
          </ol>
          <details>
        <summary>Input (trigger)</summary>
        <${Json} value=${r.trigger} label="Run trigger" />
      </details>
          ${r.context && Object.keys(r.context).length > 0 && html`
            <details>
              <summary>Context (what steps read as <code>context.*</code>)</summary>
              <${Json} value=${r.context} label="Run context" />
            </details>
          `}
          ${r.result && html`
            <h2>Result</h2>
            <${Json} value=${r.result} label="Run result" />
          `}
    `}
  `;
}
