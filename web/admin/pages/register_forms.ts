import { useState } from "preact/hooks";
import { api, enc } from "../api.ts";
import { ErrorBox, Link } from "../common.ts";
import { html } from "../html.ts";
import { BASE, navigate } from "../router.ts";
import { skeletonFiles, type SkeletonInput } from "./skeleton.ts";

/** Register from a directory on the Kiln host, or from an uploaded tarball. */
export function RegisterForm({ onDone }: { onDone: () => void }) {
  const [mode, setMode] = useState<"directory" | "tarball">("directory");
  const [directory, setDirectory] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone("");
    setBusy(true);
    try {
      const details = mode === "directory"
        ? await api("POST", "/v1/apps", { directory })
        : await api("POST", "/v1/apps", undefined, {
          raw: {
            body: file!,
            type: file!.name.endsWith(".tar") ? "application/x-tar" : "application/gzip",
          },
        });
      setDone(details.appId);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card" aria-labelledby="register-h">
    <h2 id="register-h">Register an app</h2>
    <form onSubmit=${submit}>
      <fieldset>
        <legend>Source</legend>
        <label class="inline"><input type="radio" name="source" checked=${mode === "directory"}
          onChange=${() => setMode("directory")} /> Directory on the Kiln host</label>
        <label class="inline"><input type="radio" name="source" checked=${mode === "tarball"}
          onChange=${() => setMode("tarball")} /> Tarball upload</label>
      </fieldset>
      ${
    mode === "directory"
      ? html`
        <label for="reg-dir">Directory path (holding <code>state/app_definition.yaml</code>)</label>
        <input id="reg-dir" required value=${directory} placeholder="/srv/apps/my-app"
          onInput=${(e: Event) => setDirectory((e.target as HTMLInputElement).value)} />
      `
      : html`
        <label for="reg-tar">Tarball (.tar.gz or .tar)</label>
        <input id="reg-tar" type="file" required accept=".tgz,.tar.gz,.tar,application/gzip"
          onChange=${(e: Event) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
      `
  }
      <button type="submit" disabled=${busy}>${busy ? "Registering…" : "Register"}</button>
    </form>
    <${ErrorBox} error=${error} title="Registration failed" />
    ${
    done &&
    html`<p class="ok" role="status">Registered <${Link} href=${`${BASE}/apps/${
      enc(done)
    }`}>${done}<//>.</p>`
  }
  </section>`;
}

/** A new app skeleton in the UHLP layout, previewed, then registered from its files. */
export function BootstrapWizard({ onDone }: { onDone: () => void }) {
  const [s, setS] = useState<SkeletonInput>({
    appId: "",
    displayName: "",
    description: "",
    componentId: "hello",
    pathPattern: "/hello",
    withWorkflow: true,
  });
  const [step, setStep] = useState<1 | 2>(1);
  const [error, setError] = useState<unknown>(null);
  const field = (key: keyof SkeletonInput, label: string, extra: Record<string, unknown> = {}) =>
    html`
      <label for=${`wiz-${key}`}>${label}</label>
      <input id=${`wiz-${key}`} value=${s[key] as string} ...${extra}
        onInput=${(e: Event) => setS({ ...s, [key]: (e.target as HTMLInputElement).value })} />
    `;
  const files = skeletonFiles(s);
  const create = async () => {
    setError(null);
    try {
      const details = await api("POST", "/v1/apps", { files });
      onDone();
      navigate(`/apps/${enc(details.appId)}`);
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class="card" aria-labelledby="wizard-h">
    <h2 id="wizard-h">New app (bootstrap wizard)</h2>
    ${
    step === 1
      ? html`<form onSubmit=${(e: Event) => (e.preventDefault(), setStep(2))}>
        ${
        field("appId", "App id", {
          required: true,
          pattern: "[a-z][a-z0-9-]{1,62}",
          title: "lowercase letters, digits and dashes",
        })
      }
        ${field("displayName", "Display name")}
        ${field("description", "Description")}
        ${
        field("componentId", "First component id", {
          required: true,
          pattern: "[A-Za-z][A-Za-z0-9_-]*",
        })
      }
        ${field("pathPattern", "Its route", { required: true, pattern: "/.*" })}
        <label class="inline"><input type="checkbox" checked=${s.withWorkflow}
          onChange=${(e: Event) =>
        setS({ ...s, withWorkflow: (e.target as HTMLInputElement).checked })} />
          Include a sample workflow</label>
        <button type="submit">Preview files</button>
      </form>`
      : html`<div>
        <p>These files will be committed under <code>state/</code>:</p>
        ${
        Object.entries(files).map(([path, text]) =>
          html`
            <details>
              <summary><code>${path}</code></summary>
              <pre class="json">${text}</pre>
            </details>
          `
        )
      }
        <div class="row">
          <button type="button" class="secondary" onClick=${() => setStep(1)}>Back</button>
          <button type="button" onClick=${create}>Create app</button>
        </div>
      </div>`
  }
    <${ErrorBox} error=${error} title="Could not create the app" />
  </section>`;
}
