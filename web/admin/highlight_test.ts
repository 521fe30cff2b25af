import assert from "node:assert/strict";
import { highlight } from "./highlight.ts";

Deno.test("highlight() marks YAML keys and escapes what it is given", () => {
  const html = highlight("app_definition.yaml", "appId: <script>x</script>\n");
  assert.match(html, /<span class="hljs-attr">appId:<\/span>/);
  assert.ok(!html.includes("<script>"), html);
});

Deno.test("highlight() escapes files of unknown kinds as plain text", () => {
  assert.equal(
    highlight("notes.txt", `<b a="1">&'</b>`),
    "&#60;b a=&#34;1&#34;&#62;&#38;&#39;&#60;/b&#62;",
  );
});
