import { useEffect, useState } from "preact/hooks";
import { api } from "../api.ts";
import { ErrorBox, useLoad } from "../common.ts";
import { html } from "../html.ts";

/** The global optimization rules (`GET`/`PUT /v1/optimization/rules`), edited as JSON. */
export function RulesEditor() {
  const rules = useLoad(() => api("GET", "/v1/optimization/rules"), []);
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (rules.data) setText(JSON.stringify(rules.data, null, 2));
  }, [rules.data]);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api("PUT", "/v1/optimization/rules", JSON.parse(text));
      setSaved(true);
      rules.reload();
    } catch (err) {
      setError(
        err instanceof SyntaxError
          ? { message: `the rules are not valid JSON: ${err.message}` }
          : err,
      );
    }
  };
  return html`<section class="card" aria-labelledby="rules-h">
    <h2 id="rules-h">Global rules</h2>
    <p class="muted">Rules apply global, then app, then component (the most specific wins). App and
      component rules are in each app's${" "}<code>optimization_config.yaml</code>.</p>
    <${ErrorBox} error=${rules.error} title="Could not read the global rules" />
    <form onSubmit=${save}>
      <label for="rules-text">Rules (JSON)</label>
      <textarea id="rules-text" rows="12" spellcheck="false" value=${text}
        onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
      <button type="submit" disabled=${!rules.data}>Save rules</button>
    </form>
    <${ErrorBox} error=${error} title="Rules not saved" />
    ${saved && html`<p class="ok" role="status">Saved.</p>`}
  </section>`;
}
