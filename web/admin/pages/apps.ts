import { useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import {
  Badge,
  Empty,
  ErrorBox,
  Link,
  Loading,
  PageHead,
  short,
  useLoad,
  useLoadedMark,
} from "../common.ts";
import { html } from "../html.ts";
import { BASE } from "../router.ts";
import { BootstrapWizard, RegisterForm } from "./register_forms.ts";

interface AppRow {
  appId: string;
  status: string;
  revision: string | null;
  reason?: string;
}

/** Apps: the list with status and actions, and the three ways to add one. */
export function AppsPage() {
  const list = useLoad(() => api<{ apps: AppRow[] }>("GET", "/v1/apps"), []);
  const [actionError, setActionError] = useState<unknown>(null);
  const [filter, setFilter] = useState("");
  useLoadedMark("apps", !list.loading);

  const act = async (appId: string, action: "activate" | "deactivate" | "deregister") => {
    setActionError(null);
    if (action === "deregister" && !confirm(`Deregister ${appId}? Its repository is kept.`)) return;
    try {
      if (action === "deregister") await api("DELETE", `/v1/apps/${enc(appId)}`);
      else await api("POST", `/v1/apps/${enc(appId)}/${action}`);
      list.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const apps = (list.data?.apps ?? []).filter((a) => a.appId.includes(filter.trim()));
  return html`
    <${PageHead} title="Apps" />
    <section aria-labelledby="apps-list-h">
      <div class="row">
        <h2 id="apps-list-h">Registered apps</h2>
        <label class="inline" for="app-filter">Filter
          <input id="app-filter" type="search" value=${filter}
            onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} /></label>
      </div>
      <${ErrorBox} error=${list.error} title="Could not list apps" />
      <${ErrorBox} error=${actionError} title="Action failed" />
      ${list.loading && !list.data && html`<${Loading} what="apps" />`}
      ${list.data && apps.length === 0 &&
        html`<${Empty}>${
          filter ? "No app matches the filter." : "No apps yet — register one below."
        }<//>`}
      ${apps.length > 0 && html`
        <table class="table" aria-labelledby="apps-list-h">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Status</th>
              <th scope="col">Revision</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>${apps.map((a) =>
            html`
              <tr data-app=${a.appId}>
                <th scope="row" class="name">
                  <${Link} href=${`${BASE}/apps/${enc(a.appId)}`}>${a.appId}<//>
                          ${a.reason && html`<div class="muted small wrap">${a.reason}</div>`}</th>
                        <td><${Badge} value=${a.status} /></td>
                        <td><code>${short(a.revision)}</code></td>
                        <td class="actions">
                          ${a.status === "INACTIVE"
                            ? html`
                              <button type="button" onClick=${() => act(a.appId, "activate")}
                                aria-label=${`Activate ${a.appId}`}>Activate</button>
                            `
                            : html`
                              <button type="button" class="secondary" onClick=${() =>
                                act(a.appId, "deactivate")}
                                aria-label=${`Deactivate ${a.appId}`}>Deactivate</button>
                            `}
                          <button type="button" class="danger" onClick=${() =>
                            act(a.appId, "deregister")}
                            aria-label=${`Deregister ${a.appId}`}>Deregister</button>
                        </td></tr>
            `
          )}</tbody>
        </table>
      `}
    </section>
    <div class="grid2">
      <${RegisterForm} onDone=${list.reload} />
      <${BootstrapWizard} onDone=${list.reload} />
    </div>
  `;
}
