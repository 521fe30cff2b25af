/**
 * Checks that a component implements the `kiln:handler` world before it is committed: the
 * entry export exists with the handler signature, and every import is one the wasm tier offers.
 * It reads the component's own WIT (jco's wasm-tools on their worker, no transpiling), so a wrong component is
 * refused at register or push naming what is wrong, instead of failing its first request.
 */
import { KILN_HANDLER_SIGNATURE, KILN_HOST_IMPORTS } from "./handler_wit.ts";
import { OFFERED_WASI } from "./_wasi_deny_source.ts";
import { componentWit, JcoToolError } from "./_jco_tools.ts";

const OFFERED = new Set<string>([...Object.values(KILN_HOST_IMPORTS), ...OFFERED_WASI]);
const EXPORT_FUNC = /^\s*export\s+([a-z][a-z0-9-]*)\s*:\s*((?:async\s+)?func\s*\(.*\).*?);\s*$/;
const IMPORT = /^\s*import\s+([a-z][a-z0-9-]*:[a-z0-9-/]+)(@[^;\s]+)?\s*;\s*$/;
const IMPORT_FUNC = /^\s*import\s+([a-z][a-z0-9-]*)\s*:\s*(?:async\s+)?func/;

/** What a component's WIT says it exports (functions) and imports (interfaces, version stripped). */
export interface ComponentSurface {
  exports: Map<string, string>;
  imports: string[];
}

/** The component's function exports (name → signature without parameter names) and imports. */
export async function componentSurface(bytes: Uint8Array): Promise<ComponentSurface> {
  const wit = await componentWit(bytes);
  const exports = new Map<string, string>();
  const imports: string[] = [];
  for (const line of wit.split("\n")) {
    const exp = EXPORT_FUNC.exec(line);
    if (exp) exports.set(exp[1], withoutParamNames(exp[2]));
    const imp = IMPORT.exec(line);
    if (imp) imports.push(imp[1]);
    const fn = IMPORT_FUNC.exec(line);
    if (fn) imports.push(fn[1]);
  }
  return { exports, imports };
}

/**
 * The problems that keep `bytes` from serving as a handler with export `entry` (empty when it
 * implements the world). Bytes that are not a component answer one problem saying so.
 */
export async function handlerWorldProblems(bytes: Uint8Array, entry: string): Promise<string[]> {
  // A core module parses too (as an empty world); only the component layer is a handler.
  const isComponent = bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 &&
    bytes[2] === 0x73 && bytes[3] === 0x6d && bytes[6] === 1 && bytes[7] === 0;
  if (!isComponent) {
    return ["it is not a WebAssembly component (a core module, or no \\0asm component header)"];
  }
  let surface: ComponentSurface;
  try {
    surface = await componentSurface(bytes);
  } catch (err) {
    if (!(err instanceof JcoToolError)) throw err;
    return [`it is not a WebAssembly component: ${err.message.split("\n")[0].slice(0, 300)}`];
  }
  const problems: string[] = [];
  const witName = entry.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const name = surface.exports.has(entry) ? entry : witName;
  const signature = surface.exports.get(name);
  if (signature === undefined) {
    const found = [...surface.exports.keys()];
    problems.push(
      `it does not export ${
        JSON.stringify(entry)
      } (expected \`export ${witName}: ${KILN_HANDLER_SIGNATURE}\`; ` +
        `it exports ${
          found.length ? found.map((f) => JSON.stringify(f)).join(", ") : "no functions"
        })`,
    );
  } else if (signature !== KILN_HANDLER_SIGNATURE) {
    problems.push(
      `its export ${JSON.stringify(name)} is \`${signature}\`; the kiln:handler world expects ` +
        `\`${KILN_HANDLER_SIGNATURE}\``,
    );
  }
  const refused = surface.imports.filter((i) => !OFFERED.has(i));
  if (refused.length > 0) {
    problems.push(
      `it imports ${refused.join(", ")}, which the wasm tier does not offer (components get ` +
        "kiln:host, stdio, clocks and randomness; no network, filesystem contents or env)",
    );
  }
  return problems;
}

/** `func(request-json: string, context-json: string) -> r` → `func(string, string) -> r`. */
function withoutParamNames(signature: string): string {
  const open = signature.indexOf("(");
  let depth = 0;
  let close = -1;
  for (let i = open; i < signature.length; i++) {
    if (signature[i] === "(" || signature[i] === "<") depth++;
    if (signature[i] === ")" || signature[i] === ">") depth--;
    if (depth === 0) {
      close = i;
      break;
    }
  }
  const params = splitTop(signature.slice(open + 1, close))
    .map((p) => p.replace(/^\s*[a-z][a-z0-9-]*\s*:\s*/, "").trim())
    .filter((p) => p !== "");
  const rest = signature.slice(close + 1).replace(/\s+/g, " ").trim();
  return `${signature.slice(0, open).trim()}(${params.join(", ")})${rest ? ` ${rest}` : ""}`;
}

function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "<" || text[i] === "(") depth++;
    else if (text[i] === ">" || text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
