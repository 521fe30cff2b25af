/** Parsing Git's tree and commit formats, with the entry-name checks Git's `verify_path` makes. */
import { KilnError } from "../core/mod.ts";
import { GitCorrupt } from "./_git_errors.ts";

/** A Git tree entry (`mode` is six digits, `040000` for trees). */
export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: "blob" | "tree" | "commit";
}

/** A person line of a commit. */
export interface Signature {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

/** A parsed commit; `size` is the object's full size, `cut` says the message was not all read. */
export interface CommitData {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Signature;
  size: number;
  cut: boolean;
}

const NAMES = new TextDecoder("utf-8", { fatal: true });
const ASCII = new TextDecoder();
const HFS_IGNORABLE = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g;

/** A tree object's entries; unsafe or non-UTF-8 names are PATH_NOT_ALLOWED. */
export function parseTree(oid: string, data: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const nul = space < 0 ? -1 : data.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > data.length) {
      throw new GitCorrupt(`tree ${oid} is malformed at byte ${at}`);
    }
    const mode = modeOf(oid, ASCII.decode(data.subarray(at, space)));
    let path: string;
    try {
      path = NAMES.decode(data.subarray(space + 1, nul));
    } catch {
      throw unsafe(oid, "an entry name that is not UTF-8");
    }
    if (!safeEntryName(path)) throw unsafe(oid, "an unsafe entry name");
    const id = data.subarray(nul + 1, nul + 21);
    let hex = "";
    for (const b of id) hex += (b < 16 ? "0" : "") + b.toString(16);
    entries.push({
      mode,
      path,
      oid: hex,
      type: mode === "040000" ? "tree" : mode === "160000" ? "commit" : "blob",
    });
    at = nul + 21;
  }
  return entries;
}

/**
 * A commit from its content (all of it, or the first bytes of a huge one when `cut`): headers
 * up to the blank line, then the message.
 */
export function parseCommit(oid: string, data: Uint8Array, size: number): CommitData {
  const text = new TextDecoder().decode(data);
  const end = text.indexOf("\n\n");
  const cut = data.length < size;
  if (end < 0 && cut) {
    throw new GitCorrupt(`commit ${oid} has headers longer than the part Kiln reads`);
  }
  const head = end < 0 ? text : text.slice(0, end);
  let tree = "";
  const parents: string[] = [];
  let author: Signature | undefined;
  for (const line of head.split("\n")) {
    if (line.startsWith("tree ")) tree = line.slice(5);
    else if (line.startsWith("parent ")) parents.push(line.slice(7));
    else if (line.startsWith("author ")) author = signature(line.slice(7));
  }
  if (!/^[0-9a-f]{40}$/.test(tree) || !author || parents.some((p) => !/^[0-9a-f]{40}$/.test(p))) {
    throw new GitCorrupt(`commit ${oid} is malformed`);
  }
  return {
    oid,
    tree,
    parents,
    message: end < 0 ? "" : text.slice(end + 2),
    author,
    size,
    cut,
  };
}

/** The object an annotated tag points at. */
export function tagTarget(data: Uint8Array): string | null {
  return /^object ([0-9a-f]{40})\n/.exec(new TextDecoder().decode(data.subarray(0, 64)))?.[1] ??
    null;
}

/**
 * Git's `verify_path` for one entry name: no separators, no `.`/`..` or name of only dots and
 * spaces, no `.git` in any spelling Windows or macOS would resolve to it.
 */
export function safeEntryName(name: string): boolean {
  if (name === "" || name.includes("/") || name.includes("\\")) return false;
  const ntfs = name.replace(HFS_IGNORABLE, "").split(":")[0];
  let end = ntfs.length;
  while (end > 0 && (ntfs[end - 1] === "." || ntfs[end - 1] === " ")) end--;
  const normalized = ntfs.slice(0, end).toLowerCase();
  if (normalized === "" && ntfs !== "") return false;
  return normalized !== ".git" && !/^\.?git~[1-9]$/.test(normalized);
}

function modeOf(oid: string, mode: string): string {
  if (/^0?4\d{4}$/.test(mode)) return "040000";
  if (/^1006\d\d$/.test(mode)) return "100644";
  if (/^1007\d\d$/.test(mode)) return "100755";
  if (mode === "120000") return mode;
  if (mode === "160000") return mode;
  throw new GitCorrupt(`tree ${oid} has an entry with mode ${mode}`);
}

/** `Name <email> 1700000000 +0100`, split by position (a regex would backtrack on long lines). */
function signature(line: string): Signature | undefined {
  const open = line.indexOf(" <"), close = line.lastIndexOf("> ");
  if (open < 0 || close < open) return undefined;
  const m = /^(\d{1,15}) ([+-])(\d\d)(\d\d)$/.exec(line.slice(close + 2));
  if (!m) return undefined;
  const minutes = (m[2] === "+" ? 1 : -1) * (Number(m[3]) * 60 + Number(m[4]));
  return {
    name: line.slice(0, open),
    email: line.slice(open + 2, close),
    timestamp: Number(m[1]),
    timezoneOffset: minutes === 0 ? 0 : -minutes,
  };
}

function unsafe(oid: string, what: string): KilnError {
  return new KilnError("PATH_NOT_ALLOWED", `tree ${oid} contains ${what}`, { tree: oid });
}
