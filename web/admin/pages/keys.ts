import { useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { Empty, ErrorBox, Loading, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";
import { APP_PERMISSIONS } from "../../../src/models/app_permissions.ts";

/** What a key may be granted: every permission Kiln knows, and `*` for all of them. */
const PERMISSIONS = ["*", ...APP_PERMISSIONS];

interface Key {
  keyId: string;
  description?: string;
  permissions?: string[];
  enabled?: boolean;
  createdAt?: string;
}

/** API keys: created and shown exactly once, listed by id, revoked. */
export function KeysTab({ appId }: { appId: string }) {
  const keys = useLoad(() => api<{ keys: Key[] }>("GET", `/v1/apps/${enc(appId)}/keys`), [appId]);
  const [description, setDescription] = useState("");
  const [perms, setPerms] = useState<string[]>(["invoke"]);
  const [created, setCreated] = useState<{ keyId: string; apiKey: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useLoadedMark("keys", !keys.loading);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await api("POST", `/v1/apps/${enc(appId)}/keys`, {
        description,
        permissions: perms,
      });
      setCreated({ keyId: res.keyId, apiKey: res.apiKey });
      setDescription("");
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (keyId: string) => {
    setError(null);
    if (!confirm(`Revoke key ${keyId}? Clients using it stop working at once.`)) return;
    try {
      await api("DELETE", `/v1/apps/${enc(appId)}/keys/${enc(keyId)}`);
      if (created?.keyId === keyId) setCreated(null);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (p: string) =>
    setPerms(perms.includes(p) ? perms.filter((x) => x !== p) : [...perms, p]);
  const list = keys.data?.keys ?? [];
  return html`
    <div class="grid2">
      <section aria-labelledby="keys-h">
          <h2 id="keys-h">Keys</h2>
          <${ErrorBox} error=${keys.error} title="Could not list keys" />
          <${ErrorBox} error=${error} />
          ${keys.loading && !keys.data && html`<${Loading} what="keys" />`}
          ${keys.data && list.length === 0 && html`<${Empty}>No API keys.<//>`}
          ${list.length > 0 && html`
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Key id</th>
                  <th scope="col">Description</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>${list.map((k) =>
                html`
                  <tr>
                    <th scope="row"><code>${k.keyId}</code></th>
                    <td class="wrap">${k.description ?? "—"}</td>
                    <td class="wrap">${(k.permissions ?? []).join(", ") || "—"}</td>
                    <td><button type="button" class="danger" onClick=${() => revoke(k.keyId)}
                              aria-label=${`Revoke key ${k.keyId}`}>Revoke</button></td>
                  </tr>
                `
              )}</tbody>
            </table>
          `}
        </section>
      <section class="card" aria-labelledby="newkey-h">
          <h2 id="newkey-h">Create a key</h2>
          ${created && html`
            <div class="once" role="status">
              <p><strong>Copy this key now — it is shown only once.</strong></p>
              <label for="new-key">API key <code>${created.keyId}</code></label>
              <input id="new-key" readonly value=${created.apiKey} onFocus=${(e: Event) =>
                (e.target as HTMLInputElement).select()} />
              <button type="button" class="secondary" onClick=${() =>
                setCreated(null)}>I have copied it</button>
            </div>
          `}
          <form onSubmit=${create}>
            <label for="key-desc">Description</label>
            <input id="key-desc" value=${description} maxlength="500"
              onInput=${(e: Event) => setDescription((e.target as HTMLInputElement).value)} />
            <fieldset><legend>Permissions</legend>
              <div class="checks">${PERMISSIONS.map((p) =>
                html`<label class="inline"><input type="checkbox" checked=${
                  perms.includes(p)
                } onChange=${() => toggle(p)} />
        <code>${p}</code></label>`
              )}</div>
            </fieldset>
            <button type="submit">Create key</button>
          </form>
        </section>
    </div>
  `;
}
