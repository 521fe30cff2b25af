import { KilnError, quote } from "../core/mod.ts";

/** The longest definition path Kiln accepts, in characters. */
export const MAX_DEFINITION_PATH = 512;

// deno-lint-ignore no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const HFS_IGNORABLE = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g;

/**
 * Confines a user-supplied path to the app's `state/` folder and returns its canonical form, so
 * no spelling of `..`, an absolute path or a `.git` folder can reach outside it. The checks on
 * each segment mirror Git's own (`verify_path`), which also keeps every tree Kiln writes
 * acceptable to `git fsck` and to checkouts on Windows and macOS. `allowRoot` is for listings:
 * it accepts `""`/`"."` as the root and a trailing `/`.
 */
export function normalizeDefinitionPath(p: string, opts: { allowRoot?: boolean } = {}): string {
  if (typeof p !== "string") refuse(String(p), "it is not a string");
  if (p.length > MAX_DEFINITION_PATH) {
    refuse(p, `it is longer than ${MAX_DEFINITION_PATH} characters`);
  }
  if (CONTROL.test(p)) refuse(p, "it contains a control character");
  if (p.includes("\\")) refuse(p, "it contains a backslash");
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) refuse(p, "it is absolute");
  let rest = p;
  while (rest.startsWith("./")) rest = rest.slice(2);
  if (opts.allowRoot) {
    if (rest === "" || rest === ".") return "";
    if (rest.endsWith("/")) rest = rest.slice(0, -1);
  }
  if (rest === "") refuse(p, "it is empty");
  for (const segment of rest.split("/")) checkSegment(p, segment);
  return rest;
}

function checkSegment(p: string, segment: string): void {
  if (segment === "") refuse(p, "it has an empty segment");
  if (segment === "." || segment === "..") refuse(p, `it has a ${quote(segment)} segment`);
  const name = segment.replace(HFS_IGNORABLE, "").split(":")[0].toLowerCase();
  const trimmed = name.replace(/[. ]+$/, "");
  if (trimmed === "" && name !== "") refuse(p, "a segment consists only of dots and spaces");
  if (trimmed === ".git" || /^\.?git~[1-9]$/.test(trimmed)) {
    refuse(p, "it names a .git folder");
  }
}

function refuse(p: string, why: string): never {
  throw new KilnError("PATH_NOT_ALLOWED", `path ${quote(p)} is not allowed: ${why}`, { path: p });
}
