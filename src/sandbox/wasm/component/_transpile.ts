/**
 * Turns a WebAssembly component into what a worker can run: jco's generated ES module (async
 * instantiation, so host imports are supplied per execution) and the core modules it compiles.
 * jco's code generator is itself a component compiled to core wasm; it runs on its own worker
 * thread (`_jco_tools.ts`), never on Kiln's main thread.
 */
import { KilnError, quote } from "../../../core/mod.ts";
import { KILN_ASYNC_IMPORTS } from "./handler_wit.ts";
import { generateBindings, JcoToolError } from "./_jco_tools.ts";

/** A transpiled component, ready to be posted to a worker. */
export interface TranspiledComponent {
  /** jco's ES module exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  js: string;
  /** Core module bytes by the name the module asks `getCoreModule` for. */
  cores: Record<string, Uint8Array>;
  /** Interfaces the component imports, version stripped (`kiln:host/log`, `wasi:cli/stdout`). */
  imports: string[];
  /** Function exports, as jco names them (camelCase). */
  exports: string[];
}

/**
 * Transpiles `bytes` with `entry` as a JSPI-promising export, so the guest can block on
 * `kiln:host/mcp.call` while the host awaits the tool. Throws COMPONENT_BUILD_FAILED for bytes
 * that are not a component, or one that does not export `entry`.
 */
export async function transpileComponent(
  bytes: Uint8Array,
  entry: string,
): Promise<TranspiledComponent> {
  let out: Awaited<ReturnType<typeof generateBindings>>;
  try {
    out = await generateBindings(bytes, {
      name: "component",
      noTypescript: true,
      instantiation: { tag: "async" },
      asyncMode: { tag: "jspi", val: { imports: KILN_ASYNC_IMPORTS, exports: [entry] } },
      noNodejsCompat: true,
      noComponentErrorWrapping: true,
      base64Cutoff: 0,
    });
  } catch (err) {
    if (!(err instanceof JcoToolError)) throw err;
    throw new KilnError(
      "COMPONENT_BUILD_FAILED",
      `cannot load the WebAssembly component: ${quote(err.message, 300)}`,
    );
  }
  const exports = out.exports.filter(([, kind]) => kind === "function").map(([name]) => name);
  const entryName = jsName(entry);
  if (!exports.includes(entryName)) {
    throw new KilnError(
      "COMPONENT_BUILD_FAILED",
      `the component does not export ${quote(entry)}; it exports ${quote(exports.join(", "))}`,
    );
  }
  const cores: Record<string, Uint8Array> = {};
  let js = "";
  for (const [name, content] of out.files) {
    if (name.endsWith(".wasm")) cores[name] = content;
    else if (name.endsWith(".js")) js = new TextDecoder().decode(content);
  }
  return { js, cores, imports: out.imports, exports };
}

/** The JavaScript name jco gives a WIT function name (`handle-request` → `handleRequest`). */
export function jsName(witName: string): string {
  return witName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
