import { useState } from "preact/hooks";
import { api, setCsrfToken } from "../api.ts";
import { ErrorBox, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";

/**
 * Sign-in with the admin token. The token goes to the server once, in this request's body; the
 * answer sets the HTTP-only session cookie and hands back only the CSRF token.
 */
export function SignIn(
  { error, onSignedIn }: { error?: unknown; onSignedIn: (v?: string) => void },
) {
  const [token, setToken] = useState("");
  const [failure, setFailure] = useState<unknown>(error);
  const [busy, setBusy] = useState(false);
  useLoadedMark("sign-in", true);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const s = await api("POST", "/admin/session", { token });
      setCsrfToken(s.csrfToken);
      setToken("");
      const info = await api("GET", "/admin/session");
      onSignedIn(info.version);
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main id="main" class="sign-in" aria-labelledby="page-title">
      <h1 id="page-title">Sign in to Kiln</h1>
      <p>Use the admin token Kiln printed on its first start (or <code>KILN_ADMIN_TOKEN</code>).
          It is exchanged for a session cookie and not kept in the browser.</p>
      <form onSubmit=${submit}>
        <label for="admin-token">Admin token</label>
        <input id="admin-token" name="token" type="password" autocomplete="current-password"
          required value=${token} onInput=${(e: Event) =>
            setToken((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <${ErrorBox} error=${failure} title="Sign-in failed" />
    </main>
  `;
}
