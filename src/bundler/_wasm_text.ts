import { KilnError, quote } from "../core/mod.ts";
import type { ReadFile } from "./_esbuild.ts";

/**
 * The bytes of a `language: wasm` script: the component as base64 text, or a parts manifest
 * naming the files that hold that text (see joinParts). Throws COMPONENT_BUILD_FAILED.
 */
export async function componentBytes(
  script: string,
  text: string,
  read: ReadFile,
): Promise<Uint8Array> {
  return decodeComponent(script, await joinParts(script, text, read));
}

const PARTS_HEADER = "# kiln wasm parts";

/**
 * A component larger than one definition file (`definition.bytes`) is stored as a manifest: a
 * first line `# kiln wasm parts`, then the files holding its base64 text in order, relative to
 * the manifest's folder. Each part is an ordinary definition file, so every file and state budget
 * still holds; this only joins them.
 */
async function joinParts(script: string, text: string, read: ReadFile): Promise<string> {
  if (!text.startsWith(PARTS_HEADER)) return text;
  const folder = script.includes("/") ? script.slice(0, script.lastIndexOf("/") + 1) : "";
  const names = text.split("\n").slice(1).map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const parts: string[] = [];
  for (const name of names) {
    const part = name.split("/").includes("..") ? null : await read(folder + name);
    if (part === null) {
      throw new KilnError(
        "COMPONENT_BUILD_FAILED",
        `script ${quote(script)} lists the part ${quote(name)}, which does not exist`,
        { script, part: name },
      );
    }
    parts.push(part);
  }
  return parts.join("");
}

/**
 * A `wasm` script holds a component as base64 text (Git diffs and the APIs carry text). Decoded
 * natively and strictly (`Uint8Array.fromBase64`, which skips ASCII whitespace): a 12 MB component
 * takes ~0.1 s of Kiln's main thread, where a JavaScript loop over `atob`'s string took seconds.
 */
function decodeComponent(script: string, text: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array }).fromBase64(text);
  } catch {
    throw new KilnError(
      "COMPONENT_BUILD_FAILED",
      `script ${quote(script)} is not base64 text of a WebAssembly component`,
      { script },
    );
  }
  const magic = bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 &&
    bytes[3] === 0x6d;
  if (!magic) {
    throw new KilnError(
      "COMPONENT_BUILD_FAILED",
      `script ${quote(script)} does not decode to WebAssembly (no \\0asm header)`,
      { script },
    );
  }
  return bytes;
}
