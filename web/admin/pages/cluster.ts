import { useEffect } from "preact/hooks";
import { api } from "../api.ts";
import { ago, Badge, ErrorBox, Loading, PageHead, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";

interface ClusterNode {
  nodeId: string;
  url: string;
  status: string;
  startedAt: string;
  lastSeenAt: string;
  apps: number;
  runs: number;
  failedApps: { appId: string; reason: string }[];
}

/** The nodes of the cluster this Kiln belongs to (`GET /v1/cluster`); refreshes every 2 s. */
export function ClusterPage() {
  const view = useLoad(
    () => api<{ nodeId: string; nodes: ClusterNode[] }>("GET", "/v1/cluster"),
    [],
  );
  useLoadedMark("cluster", !view.loading);
  useEffect(() => {
    const timer = setInterval(view.reload, 2000);
    return () => clearInterval(timer);
  }, []);
  const d = view.data;
  return html`
    <${PageHead}
      title="Cluster"><button type="button" class="secondary" onClick=${view
        .reload}>Refresh</button><//>
    <${ErrorBox} error=${view.error} title="Could not read the cluster" />
    ${!d && view.loading && html`<${Loading} what="nodes" />`}
    ${d && html`
      <p class="muted">This panel talks to node <code>${d.nodeId}</code>.</p>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Status</th>
            <th scope="col">URL</th>
            <th scope="col">Apps</th>
            <th scope="col">Runs</th>
            <th scope="col">Last seen</th>
            <th scope="col">Up for</th>
            <th scope="col">Cannot load</th>
          </tr>
        </thead>
        <tbody>${d.nodes.map((n) =>
          html`
            <tr data-node=${n.nodeId}>
              <th scope="row">${n.nodeId}${n.nodeId === d.nodeId ? " (this)" : ""}</th>
              <td>
                <${Badge} value=${n.status} />
              </td>
              <td class="wrap"><code>${n.url}</code></td>
              <td>${n.apps}</td>
              <td>${n.runs}</td>
              <td>${ago(Date.now() - Date.parse(n.lastSeenAt))} ago</td>
              <td>${ago(Date.now() - Date.parse(n.startedAt))}</td>
              <td class="wrap">${n.failedApps.length === 0
                ? "—"
                : n.failedApps.map((f) =>
                  html`<div><code>${f.appId}</code> <span class="muted small">${f.reason}</span></div>`
                )}</td>
            </tr>
          `
        )}</tbody>
      </table>
    `}
  `;
}
