import { useState } from "preact/hooks";
import { api } from "../api.ts";
import { Empty, ErrorBox, Json, Loading, PageHead, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";
import { setQuery } from "../router.ts";

// deno-lint-ignore no-explicit-any -- JSON Schema
type Schema = any;
interface Tool {
  name: string;
  title: string;
  description: string;
  inputSchema: Schema;
  outputSchema: Schema;
}

/** A starting value for a tool's arguments: its required properties with placeholder values. */
export function skeleton(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of schema?.required ?? []) {
    const p = schema.properties?.[key] ?? {};
    const t = Array.isArray(p.type) ? p.type[0] : p.type;
    out[key] = p.default ??
      (p.enum
        ? p.enum[0]
        : t === "number" || t === "integer"
        ? 0
        : t === "boolean"
        ? false
        : t === "array"
        ? []
        : t === "object"
        ? {}
        : "");
  }
  return out;
}

/** The MCP tools explorer: every tool of the registry `/mcp` serves, its schemas, and a try-it form. */
export function McpPage({ query }: { query: URLSearchParams }) {
  const selected = query.get("tool") ?? "";
  const tools = useLoad(() => api<{ tools: Tool[] }>("GET", "/v1/tools"), []);
  const apps = useLoad(() => api("GET", "/v1/apps"), []);
  const [filter, setFilter] = useState("");
  useLoadedMark("mcp", !tools.loading && !apps.loading);
  const list = (tools.data?.tools ?? []).filter((t) =>
    t.name.toLowerCase().includes(filter.toLowerCase())
  );
  const tool = tools.data?.tools.find((t) => t.name === selected);
  return html`
    <${PageHead} title="MCP tools" />
    <p
      class="muted">The tools <code>/mcp</code> offers (as the admin sees them). Calls here go through the same
      tool registry, authorization and validation.</p>
    <${ErrorBox} error=${tools.error} title="Could not list tools" />
    <div class="split">
      <nav class="tree" aria-label="Tools">
        <label for="tool-filter">Filter tools</label>
        <input id="tool-filter" type="search" value=${filter} onInput=${(e: Event) =>
          setFilter((e.target as HTMLInputElement).value)} />
        ${tools.loading && !tools.data && html`<${Loading} what="tools" />`}
        ${tools.data && list.length === 0 && html`<${Empty}>No tool matches.<//>`}
        <ul>${list.map((t) =>
          html`<li><button type="button" class="linkish" aria-current=${
            t.name === selected ? "true" : undefined
          }
        onClick=${() => setQuery("tool", t.name)} title=${t.name}>${t.name}</button></li>`
        )}</ul>
      </nav>
      <div class="file-pane">
        ${tool
          ? html`<${ToolView} key=${tool.name} tool=${tool} apps=${apps.data?.apps ?? []} />`
          : html`<${Empty}>Choose a tool.<//>`}
      </div>
    </div>
  `;
}

function ToolView({ tool, apps }: { tool: Tool; apps: { appId: string }[] }) {
  const appTool = /^app\.([^.]+)\./.exec(tool.name)?.[1];
  const [args, setArgs] = useState(JSON.stringify(skeleton(tool.inputSchema), null, 2));
  const [appId, setAppId] = useState(appTool ?? apps[0]?.appId ?? "");
  const [result, setResult] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const call = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const parsed = args.trim() ? JSON.parse(args) : {};
      setResult(
        await api("POST", "/v1/tools/call", {
          name: tool.name,
          arguments: parsed,
          ...(appId ? { appId } : {}),
        }),
      );
    } catch (err) {
      setError(
        err instanceof SyntaxError
          ? { message: `the arguments are not valid JSON: ${err.message}` }
          : err,
      );
    }
  };
  return html`<section aria-labelledby="tool-h">
    <h2 id="tool-h" class="wrap"><code>${tool.name}</code></h2>
    <p class="wrap">${tool.description}</p>
    <div>
      <details open><summary>Input schema</summary><${Json} value=${tool.inputSchema} label="Input schema" /></details>
      <details><summary>Output schema</summary><${Json} value=${tool.outputSchema} label="Output schema" /></details>
    </div>
    <form class="card" onSubmit=${call}>
      <h3>Try it</h3>
      <label for="tool-app">Act on app (for app-scoped tools)</label>
      <select id="tool-app" value=${appId} onChange=${(e: Event) =>
    setAppId((e.target as HTMLSelectElement).value)}>
        <option value="">(none)</option>${apps.map((a) => html`<option>${a.appId}</option>`)}
      </select>
      <label for="tool-args">Arguments (JSON)</label>
      <textarea id="tool-args" rows="8" spellcheck="false" value=${args} onInput=${(e: Event) =>
    setArgs((e.target as HTMLTextAreaElement).value)}></textarea>
      <button type="submit">Call tool</button>
    </form>
    <${ErrorBox} error=${error} title="Call failed" />
    ${
    result !== null && html`
      <div aria-live="polite">
        <h3>Answer ${(result as { isError?: boolean }).isError
          ? html`<span class="bad">(isError)</span>`
          : ""}</h3>
        <${Json} value=${result} label="Tool answer" />
      </div>
    `
  }
  </section>`;
}
