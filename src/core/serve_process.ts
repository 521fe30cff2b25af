/**
 * True in a `kiln serve` process: `deno run src/main.ts serve …` or a compiled `kiln serve …`.
 * Its start-up leaves the YAML and JSON Schema engines (CommonJS `yaml` and `ajv`, ~110 ms of CPU
 * together) unloaded until something needs them, and the composition root awaits them before
 * each such use (ADR 0029). Every other process — the other commands, tests, embedders, the
 * children, code bundled from core — loads them with the modules that wrap them, so their
 * synchronous APIs work as they always did.
 */
export const SERVE_PROCESS: boolean = isServe();

function isServe(): boolean {
  if (globalThis.Deno?.args?.[0] !== "serve") return false;
  if (Deno.build.standalone) return true;
  try {
    return Deno.mainModule === new URL("../main.ts", import.meta.url).href;
  } catch {
    return false; // bundled into code without a file URL of its own
  }
}
