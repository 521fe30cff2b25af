import { api, enc } from "../api.ts";
import {
  Badge,
  ErrorBox,
  fmtTime,
  Json,
  Link,
  Loading,
  PageHead,
  short,
  useLoad,
  useLoadedMark,
} from "../common.ts";
import { html } from "../html.ts";
import { BASE, setQuery } from "../router.ts";
import { DefinitionsTab } from "./definitions.ts";
import { HistoryTab } from "./history.ts";
import { KeysTab } from "./keys.ts";
import { ConfigLookup } from "./config_lookup.ts";

const TABS = [
  ["overview", "Overview"],
  ["definitions", "Definitions"],
  ["history", "History"],
  ["keys", "API keys"],
] as const;

/** One app: overview and configuration, its definitions, their history, and its API keys. */
export function AppDetailPage({ appId, query }: { appId: string; query: URLSearchParams }) {
  const tab = query.get("tab") ?? "overview";
  const details = useLoad(() => api("GET", `/v1/apps/${enc(appId)}`), [appId]);
  useLoadedMark("app-detail", !details.loading && tab === "overview");
  const keyNav = (e: KeyboardEvent) => {
    const i = TABS.findIndex(([id]) => id === tab);
    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
    if (next === null) return;
    const id = TABS[(next + TABS.length) % TABS.length][0];
    setQuery("tab", id);
    setTimeout(() => document.getElementById(`tab-${id}`)?.focus());
  };
  return html`
    <${PageHead} title=${appId}>
      ${details.data && html`<${Badge} value=${details.data.status} />`}
      <span class="spacer"></span>
      <${Link} href=${`${BASE}/invoke?app=${enc(appId)}`}>Invoke<//>
      <${Link} href=${`${BASE}/runs?app=${enc(appId)}`}>Runs<//>
      <${Link} href=${`${BASE}/optimization?app=${enc(appId)}`}>Optimization<//>
    <//>
    <div role="tablist" aria-label="App sections" class="tabs" onKeyDown=${keyNav}>
      ${TABS.map(([id, label]) =>
        html`
          <button type="button" role="tab" id=${`tab-${id}`} aria-selected=${tab === id}
            aria-controls="tabpanel" tabindex=${tab === id ? 0 : -1}
            onClick=${() => setQuery("tab", id === "overview" ? null : id)}>${label}</button>
        `
      )}
    </div>
    <section id="tabpanel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
      ${tab === "overview" && html`<${Overview} state=${details} />`}
      ${tab === "definitions" && html`<${DefinitionsTab} appId=${appId} query=${query} />`}
      ${tab === "history" && html`<${HistoryTab} appId=${appId} query=${query} />`}
      ${tab === "keys" && html`<${KeysTab} appId=${appId} />`}
    </section>
  `;
}

/** Flattens configuration to dotted keys, so nested values read as a table. */
function flatten(obj: unknown, prefix = ""): [string, unknown][] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return [[prefix, obj]];
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) out.push(...flatten(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

// deno-lint-ignore no-explicit-any -- the AppDetails answer
function Overview({ state }: { state: { data: any; error: unknown; loading: boolean } }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} title="Could not load the app" />`;
  if (!state.data) return html`<${Loading} what="app" />`;
  const d = state.data;
  const config = flatten(d.configuration ?? {}).filter(([k]) => k !== "");
  return html`
    <dl class="facts">
      <dt>Display name</dt><dd class="wrap">${d.displayName}</dd>
      <dt>Version</dt><dd>${d.version || "—"}</dd>
      <dt>Serving revision</dt><dd><code>${short(d.revision)}</code></dd>
      <dt>Updated</dt><dd>${fmtTime(d.updatedAt)}</dd>
      ${d.description && html`
        <dt>Description</dt>
        <dd class="wrap">${d.description}</dd>
      `}
      ${d.reason && html`
        <dt>Reason</dt>
        <dd class="wrap">${d.reason}</dd>
      `}
    </dl>
    ${d.invalidRevision && html`
      <${ErrorBox} title=${`Revision ${short(d.invalidRevision.revision)} is invalid`}
        error=${{
          message: "the pushed head does not validate",
          code: "DEGRADED",
          details: { issues: d.invalidRevision.issues },
        }} />
    `}
    <h2>Components</h2>
    ${d.components.length === 0 ? html`<p class="empty">No components.</p>` : html`
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Component</th>
            <th scope="col">Handler</th>
            <th scope="col">Runtime</th>
            <th scope="col">Trust</th>
            <th scope="col">Route</th>
          </tr>
        </thead>
        <tbody>${// deno-lint-ignore no-explicit-any -- component summaries
        d.components.map((c: any) =>
          html`
            <tr>
              <th scope="row" class="name">${c.componentId}</th>
              <td>${c.handlerType}</td>
              <td>${c.runtime}</td>
              <td>${c.trust}</td>
              <td><code>${c.routeMatcher
                ? `${(c.routeMatcher.methods ?? []).join(",")} ${c.routeMatcher.pathPattern}`
                : "—"}</code></td>
            </tr>
          `
        )}</tbody>
      </table>
    `}
    <h2>Configuration values</h2>
    ${config.length === 0 ? html`<p class="empty">No configuration values.</p>` : html`
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>${config.map(([k, v]) =>
          html`
            <tr>
              <th scope="row" class="name"><code>${k}</code></th>
              <td class="wrap"><code>${JSON.stringify(v)}</code></td>
            </tr>
          `
        )}</tbody>
      </table>
    `}
    <${ConfigLookup} appId=${d.appId} components=${d.components} />
    <h2>Sandbox pools</h2>
    ${d.sandboxPools.length === 0
      ? html`<p class="empty">No pools declared (default pools apply).</p>`
      : html`<${Json} value=${d.sandboxPools} label="Sandbox pools" />`}
  `;
}
