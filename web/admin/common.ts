import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api.ts";
import { html } from "./html.ts";
import { linkClick } from "./router.ts";

/** Loads data for a page; `deps` reloads it. Errors are kept for display, never thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  // A layout effect, so the request starts right after the render that needs it rather than
  // after the next paint (Preact runs plain effects a frame later).
  useLayoutEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Marks a page as rendered with its data: `data-loaded` on <body> (what the e2e test and the
 * screenshot script wait for) and a `kiln:loaded:<page>` performance mark (what the bench reads).
 */
export function useLoadedMark(page: string, ready: boolean): void {
  const done = useRef(false);
  // Right after the DOM holds the data (a layout effect runs before the browser paints it).
  useLayoutEffect(() => {
    if (!ready || done.current) return;
    done.current = true;
    performance.mark(`kiln:loaded:${page}`);
    document.body.dataset.loaded = page;
  }, [ready]);
  // Only this page's own mark: the next page may have set its mark before this one unmounts.
  useEffect(() => () => {
    if (document.body.dataset.loaded === page) document.body.dataset.loaded = "";
  }, []);
}

/** An API failure with its code and message, announced to screen readers. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError
    ? error
    : new ApiError(0, "CLIENT_ERROR", String((error as Error)?.message ?? error));
  const issues = (e.details as { issues?: { path?: string; field?: string; message: string }[] })
    ?.issues;
  return html`<div class="error" role="alert">
    <strong>${title ?? "Request failed"}</strong>
    <p><code class="code">${e.code}</code> ${e.message}</p>
    ${
    Array.isArray(issues) && issues.length > 0 && html`<ul class="issues">
      ${
      issues.map((i) =>
        html`<li><code>${
          [i.path, i.field].filter(Boolean).join(" · ") || "—"
        }</code> ${i.message}</li>`
      )
    }
    </ul>`
  }
  </div>`;
}

/** What a list shows when it has nothing in it. */
export function Empty({ children }: { children: ComponentChildren }) {
  return html`<p class="empty">${children}</p>`;
}

export function Loading({ what }: { what?: string }) {
  return html`<p class="loading" role="status">Loading${what ? ` ${what}` : ""}…</p>`;
}

/** An in-panel link (history navigation). */
export function Link({ href, children, ...rest }: { href: string; children: ComponentChildren }) {
  return html`<a href=${href} onClick=${linkClick} ...${rest}>${children}</a>`;
}

/** Pretty JSON in a scrollable block. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  const text = value === undefined ? "—" : JSON.stringify(value, null, 2);
  return html`<pre class="json" tabindex="0" aria-label=${label ?? "JSON"}>${text}</pre>`;
}

/** A status word as a coloured badge (the word carries the meaning, not the colour). */
export function Badge({ value }: { value: string | undefined }) {
  const v = (value ?? "unknown").toLowerCase();
  return html`<span class=${`badge badge-${v.replace(/[^a-z_]/g, "")}`}>${
    value ?? "unknown"
  }</span>`;
}

/** A page heading block. */
export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return html`<header class="page-head"><h1 id="page-title">${title}</h1>${children}</header>`;
}

/** Elapsed time in words. */
export function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function fmtTime(t: number | string | undefined): string {
  if (t === undefined) return "—";
  const d = new Date(t);
  return isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

export function short(rev: string | null | undefined): string {
  return rev ? rev.slice(0, 8) : "—";
}

/** A select of apps, shared by the pages that work on one app. */
export function AppPicker(
  { apps, value, onChange, id = "app-picker" }: {
    apps: { appId: string }[];
    value: string;
    onChange: (appId: string) => void;
    id?: string;
  },
) {
  return html`<span class="field"><label for=${id}>App</label>
    <select id=${id} value=${value} onChange=${(e: Event) =>
    onChange((e.target as HTMLSelectElement).value)}>
      <option value="">— choose an app —</option>
      ${apps.map((a) => html`<option value=${a.appId}>${a.appId}</option>`)}
    </select></span>`;
}
