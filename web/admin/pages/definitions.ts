import { useState } from "preact/hooks";
import { createTwoFilesPatch } from "diff";
import { api, ApiError, enc, qs } from "../api.ts";
import { Empty, ErrorBox, Loading, short, useLoad, useLoadedMark } from "../common.ts";
import { loadHighlight, useLazy } from "../lazy.ts";
import { html } from "../html.ts";
import { setQuery } from "../router.ts";

interface Entry {
  path: string;
  type: "file" | "directory";
}

const CONFLICTS = new Set(["PATCH_CONFLICT", "CONFLICT"]);

/** The definition browser: tree, highlighted file view, and editing through applyDefinitionDiff. */
export function DefinitionsTab({ appId, query }: { appId: string; query: URLSearchParams }) {
  const file = query.get("file") ?? "";
  const tree = useLoad(
    () =>
      api<{ entries: Entry[]; revision: string | null }>(
        "GET",
        `/v1/apps/${enc(appId)}/definitions/tree${qs({ recursive: "true" })}`,
      ),
    [appId],
  );
  useLoadedMark("definitions", !tree.loading && !file);
  const entries = (tree.data?.entries ?? []).slice().sort((a, b) => a.path.localeCompare(b.path));
  return html`
    <div class="split">
      <nav class="tree" aria-label="Definition files">
          <h2 class="small-h">Files <span class="muted">at ${short(tree.data?.revision)}</span></h2>
          <${ErrorBox} error=${tree.error} title="Could not list files" />
          ${tree.loading && !tree.data && html`<${Loading} what="files" />`}
          ${tree.data && entries.length === 0 && html`<${Empty}>No files.<//>`}
          <ul>
            ${entries.map((e) => {
              const depth = e.path.split("/").length - 1;
              const name = e.path.split("/").pop();
              return html`<li style=${`padding-left:${depth * 0.9}rem`}>${
                e.type === "directory" ? html`<span class="dir">${name}/</span>` : html`
                  <button type="button" class="linkish" aria-current=${file === e.path
                    ? "true"
                    : undefined}
                    onClick=${() => setQuery("file", e.path)} title=${e.path}>${name}</button>
                `
              }</li>`;
            })}
          </ul>
        </nav>
      <div class="file-pane">
          ${file
            ? html`<${FileView} key=${file} appId=${appId} path=${file} onCommitted=${tree.reload} />`
            : html`<${Empty}>Choose a file to view it.<//>`}
        </div>
    </div>
  `;
}

function FileView(
  { appId, path, onCommitted }: { appId: string; path: string; onCommitted: () => void },
) {
  const file = useLoad(
    () =>
      api<{ content: string; revision: string }>(
        "GET",
        `/v1/apps/${enc(appId)}/definitions/file${qs({ path })}`,
      ),
    [appId, path],
  );
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  // What the edit started from: the diff is always base → draft, so after a conflict the same
  // change can be re-applied on top of a newer revision (a three-way merge by the server).
  const [base, setBase] = useState<{ content: string; revision: string } | null>(null);
  const [message, setMessage] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [committed, setCommitted] = useState("");
  const [busy, setBusy] = useState(false);
  const highlight = useLazy(loadHighlight);
  useLoadedMark("file", !file.loading && highlight !== undefined);

  const startEdit = () => {
    if (!file.data) return;
    setBase({ content: file.data.content, revision: file.data.revision });
    setDraft(file.data.content);
    setMessage(`Edit ${path}`);
    setError(null);
    setCommitted("");
    setEditing(true);
  };
  const commit = async (onto: string, context = 3) => {
    if (!base) return;
    setBusy(true);
    setError(null);
    try {
      if (draft === base.content) throw new ApiError(0, "NO_CHANGE", "the file is unchanged");
      const res = await api("PATCH", `/v1/apps/${enc(appId)}/definitions/file`, {
        path,
        diff: createTwoFilesPatch(path, path, base.content, draft, undefined, undefined, {
          context,
        }),
        expectedBaseRevision: onto,
        commitMessage: message || `Edit ${path}`,
      });
      setCommitted(res.resultingRevision);
      setEditing(false);
      file.reload();
      onCommitted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const save = (e: Event) => {
    e.preventDefault();
    if (base) commit(base.revision);
  };
  /** After a conflict: the same change (base → draft) applied to the newest revision. */
  const rebase = async () => {
    try {
      const latest = await api<{ revision: string }>(
        "GET",
        `/v1/apps/${enc(appId)}/definitions/file${qs({ path })}`,
      );
      // No context lines: the hunks apply wherever the lines they remove are still unchanged,
      // so edits elsewhere in the file survive and a real overlap is still a PATCH_CONFLICT.
      await commit(latest.revision, 0);
    } catch (err) {
      setError(err);
    }
  };
  const conflict = error instanceof ApiError && CONFLICTS.has(error.code);
  return html`<section aria-labelledby="file-h">
    <div class="row">
      <h2 id="file-h" class="wrap"><code>${path}</code></h2>
      <span class="muted">revision <code>${short(file.data?.revision)}</code></span>
      <span class="spacer"></span>
      ${!editing && file.data && html`<button type="button" onClick=${startEdit}>Edit</button>`}
      <button type="button" class="secondary" onClick=${() => (setQuery("tab", "history"),
    setQuery("path", path))}>History</button>
    </div>
    <${ErrorBox} error=${file.error} title="Could not read the file" />
    ${
    committed && html`<p class="ok" role="status">Committed <code>${short(committed)}</code>.</p>`
  }
    ${file.loading && !file.data && html`<${Loading} what="file" />`}
    ${
    !editing && file.data && (highlight
      ? html`<pre class="code-view" tabindex="0" aria-label=${`Content of ${path}`}><code
      dangerouslySetInnerHTML=${{ __html: highlight(path, file.data.content) }}></code></pre>`
      : html`<pre class="code-view" tabindex="0" aria-label=${`Content of ${path}`}>${file.data.content}</pre>`)
  }
    ${
    editing && html`<form onSubmit=${save} class="editor">
      <label for="file-editor">Content of <code>${path}</code></label>
      <textarea id="file-editor" spellcheck="false" rows="22" value=${draft}
        onInput=${(e: Event) => setDraft((e.target as HTMLTextAreaElement).value)}></textarea>
      <label for="commit-msg">Commit message</label>
      <input id="commit-msg" required value=${message} onInput=${(e: Event) =>
      setMessage((e.target as HTMLInputElement).value)} />
      <div class="row">
        <button type="submit" disabled=${busy}>${
      busy ? "Validating…" : "Validate & commit"
    }</button>
        <button type="button" class="secondary" onClick=${() => (setEditing(false),
      setError(null))}>Cancel</button>
      </div>
      <${ErrorBox} error=${error} title=${
      conflict ? "Conflict: the file changed since you opened it" : "Not committed"
    } />
      ${
      conflict && html`<p>Your text is kept here.${" "}<button type="button" class="secondary"
        onClick=${rebase}>Apply my change on top of the latest revision</button>${" "}(it
        fails again if the same lines changed; then reload the file and redo the edit).</p>`
    }
    </form>`
  }
  </section>`;
}
