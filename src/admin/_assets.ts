import script from "../generated/admin_ui.bundle.js" with { type: "text" };
import css from "../generated/admin_ui.bundle.css" with { type: "text" };
import uplot from "../generated/admin_uplot.bundle.js" with { type: "text" };
import highlight from "../generated/admin_highlight.bundle.js" with { type: "text" };
import { createHash } from "node:crypto";

/**
 * The panel's client, bundled by `deno task admin` and embedded through text imports, so it is
 * served offline and inside `deno compile` with nothing read from the source tree.
 */
export const ASSETS = {
  "app.js": { body: script, type: "text/javascript; charset=utf-8" },
  "app.css": { body: css, type: "text/css; charset=utf-8" },
  "uplot.js": { body: uplot, type: "text/javascript; charset=utf-8" },
  "highlight.js": { body: highlight, type: "text/javascript; charset=utf-8" },
} as const;

/** A content hash in the asset URLs, so browsers may cache them for good. */
export const ASSET_VERSION = createHash("sha256").update(script).update(css).update(uplot)
  .update(highlight).digest("hex").slice(0, 12);
