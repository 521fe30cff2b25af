import { useState } from "preact/hooks";
import { api, enc, qs } from "../api.ts";
import {
  AppPicker,
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  Link,
  Loading,
  PageHead,
  useLoad,
  useLoadedMark,
} from "../common.ts";
import { html } from "../html.ts";
import { BASE, navigate, setQuery } from "../router.ts";

const STATUSES = ["", "running", "succeeded", "failed", "cancelled"];

/** Workflow runs of one app: filter by workflow and status, start one, open its timeline. */
export function RunsPage({ query }: { query: URLSearchParams }) {
  const appId = query.get("app") ?? "";
  const workflowId = query.get("workflow") ?? "";
  const status = query.get("status") ?? "";
  const apps = useLoad(() => api("GET", "/v1/apps"), []);
  const runs = useLoad(
    () =>
      appId
        ? api("GET", `/v1/apps/${enc(appId)}/runs${qs({ workflowId, status, limit: 100 })}`)
        : Promise.resolve(null),
    [appId, workflowId, status],
  );
  const workflows = useLoad(
    () =>
      appId
        ? api("GET", `/v1/apps/${enc(appId)}/definitions/tree${qs({ path: "workflows" })}`).catch(
          () => ({ entries: [] }),
        )
        : Promise.resolve({ entries: [] }),
    [appId],
  );
  useLoadedMark("runs", !apps.loading && !runs.loading);
  const ids: string[] = (workflows.data?.entries ?? [])
    // deno-lint-ignore no-explicit-any -- tree entries
    .filter((e: any) => e.type === "file" && /\.ya?ml$/.test(e.path))
    // deno-lint-ignore no-explicit-any -- tree entries
    .map((e: any) => e.path.split("/").pop().replace(/\.ya?ml$/, ""));
  // deno-lint-ignore no-explicit-any -- run summaries
  const list: any[] = runs.data?.runs ?? [];
  return html`
    <${PageHead} title="Workflow runs" />
    <${ErrorBox} error=${apps.error} title="Could not list apps" />
    <div class="row">
      <${AppPicker} apps=${apps.data?.apps ?? []} value=${appId} onChange=${(v: string) =>
        setQuery("app", v)} />
      <label class="inline" for="run-wf">Workflow
        <select id="run-wf" value=${workflowId} onChange=${(e: Event) =>
          setQuery("workflow", (e.target as HTMLSelectElement).value)}>
          <option value="">all</option>${ids.map((id) => html`<option>${id}</option>`)}
        </select></label>
      <label class="inline" for="run-status">Status
        <select id="run-status" value=${status} onChange=${(e: Event) =>
          setQuery("status", (e.target as HTMLSelectElement).value)}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || "all"}</option>`)}
        </select></label>
      <button type="button" class="secondary" onClick=${runs
        .reload} disabled=${!appId}>Refresh</button>
    </div>
    ${!appId && html`<p class="empty">Choose an app to see its runs.</p>`}
    <${ErrorBox} error=${runs.error} title="Could not list runs" />
    ${runs.loading && appId && !runs.data && html`<${Loading} what="runs" />`}
    ${appId && runs.data && list.length === 0 && html`<${Empty}>No runs match.<//>`}
    ${list.length > 0 && html`
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>${list.map((r) =>
          html`
            <tr>
              <th scope="row">
                <${Link} href=${`${BASE}/runs/${enc(appId)}/${enc(r.runId)}`}><code>${r
                  .runId}</code><//></th>
                      <td class="wrap">${r.workflowId}</td><td><${Badge} value=${r
                        .status} /></td><td>${fmtTime(r.createdAt)}</td>
                      <td>${r.endedAt ? `${r.endedAt - r.createdAt} ms` : "running"}</td></tr>
          `
        )}</tbody>
      </table>
    `}
    ${appId && ids.length > 0 && html`<${StartRun} appId=${appId} workflows=${ids} />`}
  `;
}

function StartRun({ appId, workflows }: { appId: string; workflows: string[] }) {
  const [wf, setWf] = useState(workflows[0]);
  const [input, setInput] = useState("{}");
  const [error, setError] = useState<unknown>(null);
  const start = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body = input.trim() ? JSON.parse(input) : null;
      const run = await api("POST", `/v1/apps/${enc(appId)}/workflows/${enc(wf)}/runs`, {
        input: body,
      });
      navigate(`/runs/${enc(appId)}/${enc(run.runId)}`);
    } catch (err) {
      setError(
        err instanceof SyntaxError
          ? { message: `the input is not valid JSON: ${err.message}` }
          : err,
      );
    }
  };
  return html`
    <form class="card" onSubmit=${start} aria-labelledby="start-h">
      <h2 id="start-h">Start a run</h2>
      <label for="start-wf">Workflow</label>
      <select id="start-wf" value=${wf} onChange=${(e: Event) =>
        setWf((e.target as HTMLSelectElement).value)}>
          ${workflows.map((id) => html`<option>${id}</option>`)}
        </select>
      <label for="start-input">Input (JSON, the run's <code>trigger.body</code>)</label>
      <textarea id="start-input" rows="5" spellcheck="false" value=${input}
        onInput=${(e: Event) => setInput((e.target as HTMLTextAreaElement).value)}></textarea>
      <button type="submit">Start run</button>
      <${ErrorBox} error=${error} title="Could not start the run" />
    </form>
  `;
}
