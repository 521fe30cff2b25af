import { render } from "preact";
import { html } from "./html.ts";
import { App } from "./app.ts";
import { labelTableCells } from "./table_labels.ts";

const root = document.getElementById("root")!;
// The shell's "Loading…" line is static HTML; Preact renders alongside what is there, so clear it.
root.textContent = "";
render(html`<${App} />`, root);
labelTableCells(root);
