import { useState } from "preact/hooks";
import { api, enc, qs } from "../api.ts";
import { Empty, ErrorBox, fmtTime, Loading, short, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";
import { setQuery } from "../router.ts";

interface Commit {
  revision: string;
  message: string;
  author: { name: string; email: string };
  timestamp: string;
  parents: string[];
}

/** Commit history (optionally of one file), each commit's diff, and revert. */
export function HistoryTab({ appId, query }: { appId: string; query: URLSearchParams }) {
  const path = query.get("path") ?? "";
  const selected = query.get("commit") ?? "";
  const history = useLoad(
    () =>
      api<{ commits: Commit[] }>(
        "GET",
        `/v1/apps/${enc(appId)}/definitions/history${qs({ path, limit: 100 })}`,
      ),
    [appId, path],
  );
  const [error, setError] = useState<unknown>(null);
  const [reverted, setReverted] = useState("");
  useLoadedMark("history", !history.loading);
  const commits = history.data?.commits ?? [];
  const revert = async (c: Commit) => {
    setError(null);
    setReverted("");
    if (!confirm(`Revert ${short(c.revision)} "${c.message.split("\n")[0]}"?`)) return;
    try {
      // The base is the head as of this listing (whole-repo history may differ from a path's).
      const head = await api<{ commits: Commit[] }>(
        "GET",
        `/v1/apps/${enc(appId)}/definitions/history${qs({ limit: 1 })}`,
      );
      const res = await api("POST", `/v1/apps/${enc(appId)}/definitions/revert`, {
        revision: c.revision,
        expectedBaseRevision: head.commits[0]?.revision,
        commitMessage: `Revert "${c.message.split("\n")[0]}"`,
      });
      setReverted(res.resultingRevision);
      history.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<div>
    <div class="row">
      <h2>History ${path && html`of <code>${path}</code>`}</h2>
      ${
    path && html`<button type="button" class="secondary" onClick=${() =>
      setQuery("path", null)}>Whole app</button>`
  }
    </div>
    <${ErrorBox} error=${history.error} title="Could not read the history" />
    <${ErrorBox} error=${error} title="Revert failed" />
    ${
    reverted &&
    html`<p class="ok" role="status">Reverted: new revision <code>${short(reverted)}</code>.</p>`
  }
    ${history.loading && !history.data && html`<${Loading} what="history" />`}
    ${history.data && commits.length === 0 && html`<${Empty}>No commits.<//>`}
    ${
    commits.length > 0 && html`
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Message</th>
            <th scope="col">Author</th>
            <th scope="col">When</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>${commits.map((c) =>
          html`
            <tr aria-selected=${selected === c.revision} data-revision=${c.revision}>
              <td><code>${short(c.revision)}</code></td>
              <td class="wrap">${c.message.split("\n")[0]}</td>
              <td class="wrap">${c.author.name}</td>
              <td>${fmtTime(c.timestamp)}</td>
              <td class="actions">
                <button type="button" class="secondary" disabled=${c.parents.length === 0}
                  onClick=${() => setQuery("commit", c.revision)} aria-label=${`Show diff of ${
                    short(c.revision)
                  }`}>Diff</button>
                <button type="button" class="danger" disabled=${c.parents.length === 0}
                  onClick=${() => revert(c)} aria-label=${`Revert ${
                    short(c.revision)
                  }`}>Revert</button>
              </td>
            </tr>
          `
        )}</tbody>
      </table>
    `
  }
    ${
    selected && html`
      <${CommitDiff} key=${selected} appId=${appId} commit=${commits.find((c) =>
        c.revision === selected
      )} revision=${selected}
        path=${path} />
    `
  }
  </div>`;
}

function CommitDiff(
  { appId, commit, revision, path }: {
    appId: string;
    commit?: Commit;
    revision: string;
    path: string;
  },
) {
  const parent = commit?.parents[0];
  const diff = useLoad(
    () =>
      parent
        ? api<{ diff: string }>(
          "GET",
          `/v1/apps/${enc(appId)}/definitions/diff${qs({ from: parent, to: revision, path })}`,
        )
        : Promise.resolve({ diff: "" }),
    [appId, parent, revision, path],
  );
  return html`<section aria-labelledby="diff-h">
    <h3 id="diff-h">Diff of <code>${short(revision)}</code> ${
    commit && html`— ${commit.message.split("\n")[0]}`
  }</h3>
    <${ErrorBox} error=${diff.error} title="Could not read the diff" />
    ${diff.loading && html`<${Loading} what="diff" />`}
    ${diff.data && html`<${DiffView} text=${diff.data.diff} />`}
  </section>`;
}

/** A unified diff with added and removed lines marked (by sign and colour). */
export function DiffView({ text }: { text: string }) {
  if (!text.trim()) return html`<p class="empty">No changes.</p>`;
  return html`<pre class="diff" tabindex="0" aria-label="Unified diff">${
    text.split("\n").map((line) => {
      const cls = line.startsWith("+++") || line.startsWith("---")
        ? "d-file"
        : line.startsWith("+")
        ? "d-add"
        : line.startsWith("-")
        ? "d-del"
        : line.startsWith("@@")
        ? "d-hunk"
        : "";
      // The newline as a value: htm drops whitespace-only text that contains a line break.
      return html`<span class=${cls}>${line + "\n"}</span>`;
    })
  }</pre>`;
}
