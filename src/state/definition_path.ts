import { KilnError, quote } from "../core/mod.ts";

/** The longest definition path Kiln accepts, in characters. */
export const MAX_DEFINITION_PATH = 512;

// Controls (C0, DEL, C1) and invisible format characters: bidi embeddings, overrides and
// isolates, zero-width joiners, the BOM. They make a name read differently from what it is.
const CONTROL = /\p{Cc}/u;
const FORMAT = /\p{Cf}/u;
/** Names Git gives meaning to inside a tree (submodules, attributes), NTFS short names included. */
const GIT_SPECIAL = /^(\.gitmodules|gitmod~[1-9]|\.gitattributes|gitatt~[1-9])$/;

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
  if (!p.isWellFormed()) refuse(p, "it is not well-formed Unicode");
  if (CONTROL.test(p)) refuse(p, "it contains a control character");
  if (FORMAT.test(p)) {
    refuse(p, "it contains an invisible formatting character (e.g. a bidirectional control)");
  }
  // Look-alikes: `‥`, `．．` and friends become `..` under NFKC, and some tools normalise.
  const nfkc = p.normalize("NFKC");
  if (nfkc !== p) refuse(p, `it is not in Unicode NFKC form (it normalises to ${quote(nfkc)})`);
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
  const name = segment.split(":")[0].toLowerCase();
  const trimmed = trimDotsAndSpaces(name);
  if (trimmed === "" && name !== "") refuse(p, "a segment consists only of dots and spaces");
  if (trimmed === ".git" || /^\.?git~[1-9]$/.test(trimmed)) {
    refuse(p, "it names a .git folder");
  }
  if (GIT_SPECIAL.test(trimmed)) refuse(p, `${quote(segment)} is a name Git gives meaning to`);
}

/** Win32 drops trailing dots and spaces; a backward scan, as `/[. ]+$/` is quadratic on dots. */
function trimDotsAndSpaces(name: string): string {
  let end = name.length;
  while (end > 0 && (name[end - 1] === "." || name[end - 1] === " ")) end--;
  return name.slice(0, end);
}

function refuse(p: string, why: string): never {
  throw new KilnError("PATH_NOT_ALLOWED", `path ${quote(p)} is not allowed: ${why}`, { path: p });
}
