import { useEffect } from "preact/hooks";
import { api } from "../api.ts";
import {
  ago,
  Badge,
  Empty,
  ErrorBox,
  Loading,
  PageHead,
  useLoad,
  useLoadedMark,
} from "../common.ts";
import { html } from "../html.ts";

/** Sandbox tiers with their counters, container pools and their containers; refreshes every 5 s. */
export function SandboxesPage() {
  const view = useLoad(() => api("GET", "/v1/sandboxes"), []);
  useLoadedMark("sandboxes", !view.loading);
  useEffect(() => {
    const timer = setInterval(view.reload, 5000);
    return () => clearInterval(timer);
  }, []);
  const d = view.data;
  return html`
    <${PageHead}
      title="Sandboxes"><button type="button" class="secondary" onClick=${view
        .reload}>Refresh</button><//>
    <${ErrorBox} error=${view.error} title="Could not read the sandboxes" />
    ${!d && view.loading && html`<${Loading} what="tiers" />`}
    ${d && html`
      <h2>Tiers</h2>
          <table class="table">
        <thead>
          <tr>
            <th scope="col">Tier</th>
            <th scope="col">State</th>
            <th scope="col">Live</th>
            <th scope="col">Busy</th>
            <th scope="col">Queued</th>
            <th scope="col">Kills</th>
          </tr>
        </thead>
        <tbody>${// deno-lint-ignore no-explicit-any -- tier rows
        d.tiers.map((t: any) =>
          html`
            <tr data-tier=${t.tier}>
              <th scope="row">${t.tier}</th>
              <td>${t.available
                ? html`<${Badge} value="available" />`
                : html`<${Badge} value="unavailable" /> <span class="muted small wrap">${t.reason}</span>`}</td>
              <td>${t.stats?.live ?? "—"}</td>
              <td>${t.stats?.busy ?? "—"}</td>
              <td>${t.stats?.queued ?? "—"}</td>
              <td class="wrap">${t.stats && Object.keys(t.stats.kills).length
                ? Object.entries(t.stats.kills).map(([k, v]) => `${k}: ${v}`).join(", ")
                : "none"}</td>
            </tr>
          `
        )}</tbody>
      </table>
          <h2>Isolate host processes</h2>
      <${HostTable}
        heap
        empty="No isolate host is running (each app's starts on its first request)."
        rows=${// deno-lint-ignore no-explicit-any -- isolate host rows
        (d.isolateHosts ?? []).map((h: any) => ({
          ...h,
          name: h.key,
          heap: `${h.heapMb} MB`,
          workers: `${h.workers} of ${h.maxWorkers}`,
        }))}
      />
      <h2>Component host processes</h2>
      <${HostTable}
        empty="No component host is running (an app's starts on its first WASI component run)."
        rows=${// deno-lint-ignore no-explicit-any -- component host rows
        (d.componentHosts ?? []).map((h: any) => ({
          ...h,
          name: h.appId,
          workers: `${h.workers}`,
        }))}
      />
      <h2>Container pools</h2>
          ${d.pools.length === 0 &&
            html`<${Empty}>No container pools are running (the container tier starts pools on first use).<//>`}
          ${// deno-lint-ignore no-explicit-any -- pool rows
          d.pools.map((p: any) =>
            html`<section class="card" aria-label=${`Pool ${p.poolName} of ${p.appId}`}>
        <h3 class="wrap">${p.appId} / ${p.poolName}</h3>
        <p class="muted wrap"><code>${p.image}</code>${" "}${
              [`min ${p.minInstances}`, `max ${p.maxInstances}`]
                .concat(Object.entries(p.stats).map(([k, v]) => `${k} ${v}`)).map((x) => `· ${x}`)
                .join(" ")
            }</p>
        ${
              p.containers.length === 0 ? html`<p class="empty">No containers.</p>` : html`
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Container</th>
                      <th scope="col">State</th>
                      <th scope="col">Age</th>
                      <th scope="col">Executions</th>
                    </tr>
                  </thead>
                  <tbody>${// deno-lint-ignore no-explicit-any -- container rows
                  p.containers.map((c: any) =>
                    html`
                      <tr>
                        <th scope="row" class="wrap"><code>${c.name}</code></th>
                        <td>
                          <${Badge} value=${c.state} />
                        </td>
                        <td>${ago(c.ageMs)}</td>
                        <td>${c.executions}</td>
                      </tr>
                    `
                  )}</tbody>
                </table>
              `
            }</section>`
          )}
    `}
  `;
}

/** A host process as the tables show it: the isolate tier's per app, and the component hosts. */
interface HostRow {
  name: string;
  alive: boolean;
  pid: number | null;
  heap?: string;
  workers: string;
  busy: number;
  cpuMs: number | null;
  cpuGroup: string | null;
}

/** Host processes, one row each; `heap` adds the heap-limit column (isolate hosts have one). */
function HostTable({ rows, empty, heap }: { rows: HostRow[]; empty: string; heap?: boolean }) {
  if (rows.length === 0) return html`<${Empty}>${empty}<//>`;
  return html`
    <table class="table">
      <thead>
        <tr>
          <th scope="col">App</th>
          <th scope="col">State</th>
          <th scope="col">PID</th>
          ${heap && html`<th scope="col">Heap limit</th>`}
          <th scope="col">Workers</th>
          <th scope="col">Busy</th>
          <th scope="col">CPU time</th>
          <th scope="col">CPU group</th>
        </tr>
      </thead>
      <tbody>${rows.map((h) =>
        html`
          <tr>
            <th scope="row" class="wrap">${h.name}</th>
            <td><${Badge} value=${h.alive ? "alive" : "stopped"} /></td>
            <td>${h.pid ?? "—"}</td>
            ${heap && html`<td>${h.heap}</td>`}
            <td>${h.workers}</td>
            <td>${h.busy}</td>
            <td>${h.cpuMs == null ? "—" : `${(h.cpuMs / 1000).toFixed(2)} s`}</td>
            <td class="wrap"><code>${h.cpuGroup ?? "—"}</code></td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}
