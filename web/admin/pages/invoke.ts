import { useEffect, useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { AppPicker, ErrorBox, Json, Loading, PageHead, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";
import { setQuery } from "../router.ts";

interface Outcome {
  via: "ingress" | "mcp";
  status?: number;
  ok: boolean;
  tier?: string | null;
  tierReason?: string | null;
  requestId?: string | null;
  provenance?: string | null;
  clientMs: number;
  serverMs?: number;
  body: unknown;
}

/**
 * The invoke console: run a component through the app ingress (real HTTP, so the tier headers
 * are the ones clients see) or as its MCP tool `app.<appId>.<componentId>`.
 */
export function InvokePage({ query }: { query: URLSearchParams }) {
  const appId = query.get("app") ?? "";
  const componentId = query.get("component") ?? "";
  const apps = useLoad(() => api("GET", "/v1/apps"), []);
  const details = useLoad(
    () => (appId ? api("GET", `/v1/apps/${enc(appId)}`) : Promise.resolve(null)),
    [appId],
  );
  useLoadedMark("invoke", !apps.loading && !details.loading);
  // deno-lint-ignore no-explicit-any -- component summaries
  const component = details.data?.components?.find((c: any) => c.componentId === componentId);
  return html`
    <${PageHead} title="Invoke console" />
    <${ErrorBox} error=${apps.error} title="Could not list apps" />
    <div class="row">
      <${AppPicker} apps=${apps.data?.apps ?? []} value=${appId}
        onChange=${(v: string) => (setQuery("component", null), setQuery("app", v))} />
      ${details.data && html`<label class="inline" for="component-picker">Component
        <select id="component-picker" value=${componentId}
          onChange=${(e: Event) => setQuery("component", (e.target as HTMLSelectElement).value)}>
          <option value="">— choose a component —</option>
          ${
        // deno-lint-ignore no-explicit-any -- component summaries
        details.data.components.map((c: any) =>
          html`<option value=${c.componentId}>${c.componentId} (${c.handlerType})</option>`
        )}
        </select></label>`}
    </div>
    <${ErrorBox} error=${details.error} title="Could not load the app" />
    ${details.loading && appId && html`<${Loading} what="components" />`}
    ${!appId && html`<p class="empty">Choose an app, then a component.</p>`}
    ${component &&
      html`<${Console} key=${`${appId}/${componentId}`} appId=${appId} component=${component} />`}
  `;
}

// deno-lint-ignore no-explicit-any -- a component summary
function Console({ appId, component }: { appId: string; component: any }) {
  const route = component.routeMatcher;
  const [via, setVia] = useState<"ingress" | "mcp">(route ? "ingress" : "mcp");
  const [method, setMethod] = useState<string>(route?.methods?.[0] ?? "GET");
  const [path, setPath] = useState<string>(route?.pathPattern ?? "/");
  const [body, setBody] = useState("{}");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setMethod(route?.methods?.[0] ?? "GET"), [component.componentId]);

  const run = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setOutcome(null);
    let input: unknown;
    try {
      input = body.trim() ? JSON.parse(body) : undefined;
    } catch (err) {
      setError({ message: `the input is not valid JSON: ${(err as Error).message}` });
      return;
    }
    setBusy(true);
    const started = performance.now();
    try {
      if (via === "ingress") {
        const hasBody = !["GET", "HEAD"].includes(method) && input !== undefined;
        const res = await fetch(`/apps/${enc(appId)}${path.startsWith("/") ? path : `/${path}`}`, {
          method,
          headers: hasBody ? { "content-type": "application/json" } : {},
          body: hasBody ? JSON.stringify(input) : undefined,
          credentials: "omit",
        });
        const text = await res.text();
        const timing = performance.getEntriesByName(res.url).at(-1) as
          | PerformanceResourceTiming
          | undefined;
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch { /* not JSON: shown as text */ }
        setOutcome({
          via,
          status: res.status,
          ok: res.ok,
          tier: res.headers.get("x-kiln-tier"),
          tierReason: res.headers.get("x-kiln-tier-reason"),
          requestId: res.headers.get("x-request-id"),
          provenance: res.headers.get("x-kiln-llm-provenance"),
          clientMs: Math.round(performance.now() - started),
          // Request sent → first byte back: the server's share of the round trip.
          serverMs: timing && timing.responseStart > 0
            ? Math.round(timing.responseStart - timing.requestStart)
            : undefined,
          body: parsed,
        });
      } else {
        const res = await api("POST", "/v1/tools/call", {
          name: `app.${appId}.${component.componentId}`,
          arguments: input ?? {},
          appId,
        });
        setOutcome({
          via,
          ok: !res.isError,
          // Tool results carry the component's answer only; the tier travels in HTTP headers.
          tier: null,
          tierReason: "not reported over MCP: run through the app ingress to see the tier",
          clientMs: Math.round(performance.now() - started),
          serverMs: res.durationMs,
          body: res.structuredContent ?? res.content,
        });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <div class="grid2">
      <form class="card" onSubmit=${run} aria-labelledby="invoke-h">
          <h2 id="invoke-h">Run <code>${component.componentId}</code></h2>
          <fieldset><legend>Through</legend>
            <label class="inline"><input type="radio" name="via" checked=${via ===
              "ingress"} disabled=${!route}
              onChange=${() => setVia("ingress")} /> App ingress (HTTP)</label>
            <label class="inline"><input type="radio" name="via" checked=${via === "mcp"}
              onChange=${() => setVia("mcp")} /> MCP tool <code>app.${appId}.${component
                .componentId}</code></label>
          </fieldset>
          ${via === "ingress" && html`
            <div class="row">
              <label class="inline" for="inv-method">Method
                      <select id="inv-method" value=${method} onChange=${(e: Event) =>
                        setMethod((e.target as HTMLSelectElement).value)}>
                        ${(route?.methods ?? ["GET"]).map((m: string) =>
                          html`<option>${m}</option>`
                        )}
                      </select></label>
            </div>
            <label for="inv-path">Path under <code>/apps/${appId}</code></label>
            <input id="inv-path" value=${path} onInput=${(e: Event) =>
              setPath((e.target as HTMLInputElement).value)} />
          `}
          <label for="inv-input">${via === "ingress"
            ? "Body (JSON; ignored for GET)"
            : "Tool arguments (JSON)"}</label>
          <textarea id="inv-input" rows="10" spellcheck="false" value=${body}
            onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)}></textarea>
          <button type="submit" disabled=${busy}>${busy ? "Running…" : "Run"}</button>
        </form>
      <section aria-labelledby="result-h" aria-live="polite">
          <h2 id="result-h">Result</h2>
          <${ErrorBox} error=${error} title="Invocation failed" />
          ${!outcome && !error &&
            html`<p class="empty">Run the component to see its answer here.</p>`}
          ${outcome && html`
            <dl class="facts" id="invoke-outcome">
                    ${outcome.status !== undefined && html`
                      <dt>Status</dt>
                      <dd><span class=${outcome.ok ? "ok" : "bad"}>${outcome.status}</span></dd>
                    `}
                    ${outcome.via === "mcp" && html`
                      <dt>isError</dt>
                      <dd>${String(!outcome.ok)}</dd>
                    `}
                    <dt>Tier</dt><dd id="invoke-tier">${outcome.tier ?? "—"}</dd>
                    <dt>Why this tier</dt><dd class="wrap" id="invoke-tier-reason">${outcome
                      .tierReason ?? "—"}</dd>
                    <dt>Round trip</dt><dd>${outcome.clientMs} ms</dd>
                    ${outcome.serverMs !== undefined && html`
                      <dt>Server time (to first byte)</dt>
                      <dd>${outcome.serverMs} ms</dd>
                    `}
                    ${outcome.requestId && html`
                      <dt>Request id</dt>
                      <dd><code>${outcome.requestId}</code></dd>
                    `}
                    ${outcome.provenance && html`
                      <dt>LLM provenance</dt>
                      <dd>${outcome.provenance}</dd>
                    `}
                  </dl>
            <${Json} value=${outcome.body} label="Answer body" />
          `}
        </section>
    </div>
  `;
}
