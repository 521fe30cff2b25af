import { useState } from "preact/hooks";
import { api, enc, qs } from "../api.ts";
import { ErrorBox } from "../common.ts";
import { html } from "../html.ts";

/**
 * Looks one configuration value up the way components see it (component over app over global,
 * `GET /v1/apps/{appId}/config/{key}`), answering where it came from.
 */
export function ConfigLookup(
  { appId, components }: { appId: string; components: { componentId: string }[] },
) {
  const [key, setKey] = useState("");
  const [componentId, setComponentId] = useState("");
  const [answer, setAnswer] = useState<{ found: boolean; value?: unknown; source?: string } | null>(
    null,
  );
  const [error, setError] = useState<unknown>(null);
  const look = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setAnswer(null);
    try {
      setAnswer(
        await api("GET", `/v1/apps/${enc(appId)}/config/${enc(key)}${qs({ componentId })}`),
      );
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${look} aria-labelledby="config-h">
    <h3 id="config-h">Look up a value as a component sees it</h3>
    <div class="row">
      <span class="field"><label for="config-key">Key</label>
        <input id="config-key" required value=${key} placeholder="llm.model"
          onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} /></span>
      <span class="field"><label for="config-component">Component</label>
        <select id="config-component" value=${componentId}
          onChange=${(e: Event) => setComponentId((e.target as HTMLSelectElement).value)}>
          <option value="">(app level)</option>
          ${components.map((c) => html`<option>${c.componentId}</option>`)}
        </select></span>
      <button type="submit">Look up</button>
    </div>
    <${ErrorBox} error=${error} title="Lookup failed" />
    ${
    answer && html`<p role="status" id="config-answer">${
      answer.found
        ? html`<code>${JSON.stringify(answer.value)}</code> from <strong>${answer.source}</strong>`
        : html`<span class="muted">not set at any level</span>`
    }</p>`
  }
  </form>`;
}
