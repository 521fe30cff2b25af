import { isoGit } from "./_isogit.ts";
import { KilnError, limitExceeded, LIMITS, quote } from "../core/mod.ts";
import { nodeFs } from "../core/node/mod.ts";
import type { DirectoryEntry } from "./definitions.ts";
import type { GitObjects, Repo, TreeEntry } from "./_git_objects.ts";

/** The folder of the repo that holds the definitions. */
export const STATE_DIR = "state";

/** A blob in a tree: its id and mode (`100644`, `100755`, or `120000`/`160000` for specials). */
export interface FileEntry {
  oid: string;
  mode: string;
}

/** What a path names in a tree. */
export type TreeNode =
  | { kind: "file"; oid: string; mode: string }
  | { kind: "dir"; oid: string }
  | { kind: "none" };

/** Symlinks and submodules: entries Kiln never reads through or writes. */
export function isSpecialMode(mode: string): boolean {
  return mode === "120000" || mode === "160000";
}

/** The `state/` tree of a commit's root tree, or null when it has none. */
export async function stateTreeOf(
  objs: GitObjects,
  repo: Repo,
  rootTree: string | null,
): Promise<string | null> {
  if (rootTree === null) return null;
  const entry = (await objs.tree(repo, rootTree)).find((e) => e.path === STATE_DIR);
  if (entry && isSpecialMode(entry.mode)) {
    throw new KilnError("PATH_NOT_ALLOWED", "the repository's state/ is a symlink or submodule");
  }
  return entry?.type === "tree" ? entry.oid : null;
}

/**
 * Finds what `path` (normalized, `""` for the root) names under `tree`. A symlink or submodule
 * on the way, or at the end, is PATH_NOT_ALLOWED: it is never followed.
 */
export async function lookupPath(
  objs: GitObjects,
  repo: Repo,
  tree: string | null,
  path: string,
): Promise<TreeNode> {
  if (tree === null) return { kind: "none" };
  if (path === "") return { kind: "dir", oid: tree };
  const segments = path.split("/");
  let current = tree;
  for (let i = 0; i < segments.length; i++) {
    const entry = (await objs.tree(repo, current)).find((e) => e.path === segments[i]);
    if (!entry) return { kind: "none" };
    if (isSpecialMode(entry.mode)) {
      const at = segments.slice(0, i + 1).join("/");
      throw new KilnError(
        "PATH_NOT_ALLOWED",
        `path ${quote(path)} is not allowed: ${quote(at)} is a symlink or submodule`,
        { path, at },
      );
    }
    if (i === segments.length - 1) {
      return entry.type === "tree"
        ? { kind: "dir", oid: entry.oid }
        : { kind: "file", oid: entry.oid, mode: entry.mode };
    }
    if (entry.type !== "tree") return { kind: "none" };
    current = entry.oid;
  }
  return { kind: "none" };
}

/**
 * Every blob under `tree` (specials included), keyed by path relative to it. The walk is held
 * to `git.state.files` (files and folders met, so trees of nothing but trees count too) and
 * `git.state.depth`, whatever a pushed tree looks like.
 */
export async function listFiles(
  objs: GitObjects,
  repo: Repo,
  tree: string | null,
): Promise<Map<string, FileEntry>> {
  const into = new Map<string, FileEntry>();
  if (tree === null) return into;
  const walk = { entries: 0 };
  await walkFiles(objs, repo, tree, "", 0, into, walk);
  return into;
}

async function walkFiles(
  objs: GitObjects,
  repo: Repo,
  tree: string,
  prefix: string,
  depth: number,
  into: Map<string, FileEntry>,
  walk: { entries: number },
): Promise<void> {
  const maxEntries = LIMITS["git.state.files"], maxDepth = LIMITS["git.state.depth"];
  for (const e of await objs.tree(repo, tree)) {
    const path = prefix + e.path;
    if (++walk.entries > maxEntries) {
      throw limitExceeded(
        "git.state.files",
        `state/ holds more than ${maxEntries} files and folders`,
        { max: maxEntries },
      );
    }
    if (e.type !== "tree") {
      into.set(path, { oid: e.oid, mode: e.mode });
    } else if (depth + 1 >= maxDepth) {
      throw limitExceeded(
        "git.state.depth",
        `${quote(path)} nests deeper than ${maxDepth} folders`,
        { path, max: maxDepth },
      );
    } else {
      await walkFiles(objs, repo, e.oid, `${path}/`, depth + 1, into, walk);
    }
  }
}

/** The entries of directory `tree` at `dir`, sorted, recursive or not; specials are left out. */
export async function listDirectory(
  objs: GitObjects,
  repo: Repo,
  tree: string,
  dir: string,
  recursive: boolean,
  into: DirectoryEntry[] = [],
): Promise<DirectoryEntry[]> {
  const entries = [...await objs.tree(repo, tree)].sort((a, b) => a.path < b.path ? -1 : 1);
  for (const e of entries) {
    if (isSpecialMode(e.mode)) continue;
    const path = dir === "" ? e.path : `${dir}/${e.path}`;
    into.push({ path, type: e.type === "tree" ? "directory" : "file" });
    if (recursive && e.type === "tree") await listDirectory(objs, repo, e.oid, path, true, into);
  }
  return into;
}

/**
 * Writes the trees that result from applying `changes` (path → new blob, or null to delete)
 * under `tree`, rebuilding only the trees along the changed paths. Returns the new tree's oid,
 * or null when it ends up empty (Git has no empty directories).
 */
export async function writeTreeChanges(
  objs: GitObjects,
  repo: Repo,
  tree: string | null,
  changes: ReadonlyMap<string, FileEntry | null>,
  prefix = "",
): Promise<string | null> {
  const direct = new Map<string, FileEntry | null>();
  const nested = new Map<string, Map<string, FileEntry | null>>();
  for (const [path, change] of changes) {
    const slash = path.indexOf("/");
    if (slash < 0) direct.set(path, change);
    else {
      const head = path.slice(0, slash);
      if (!nested.has(head)) nested.set(head, new Map());
      nested.get(head)!.set(path.slice(slash + 1), change);
    }
  }
  const byName = new Map<string, TreeEntry>();
  if (tree !== null) { for (const e of await objs.tree(repo, tree)) byName.set(e.path, { ...e }); }
  for (const [name, change] of direct) {
    const existing = byName.get(name);
    checkReplaceable(prefix + name, existing, change === null);
    if (change === null) byName.delete(name);
    else byName.set(name, { mode: change.mode, path: name, oid: change.oid, type: "blob" });
  }
  for (const [name, sub] of nested) {
    const existing = byName.get(name);
    if (existing && existing.type !== "tree") blocked(prefix + name, existing);
    const oid = await writeTreeChanges(objs, repo, existing?.oid ?? null, sub, `${prefix}${name}/`);
    if (oid === null) byName.delete(name);
    else byName.set(name, { mode: "040000", path: name, oid, type: "tree" });
  }
  if (byName.size === 0) return null;
  return await (await isoGit()).writeTree({
    fs: nodeFs(),
    gitdir: repo.gitdir,
    tree: [...byName.values()],
  });
}

/** Puts `stateTree` (or nothing) at `state/` of `rootTree`, keeping every other root entry. */
export async function withStateTree(
  objs: GitObjects,
  repo: Repo,
  rootTree: string | null,
  stateTree: string | null,
): Promise<string> {
  const entries = rootTree === null
    ? []
    : (await objs.tree(repo, rootTree)).filter((e) => e.path !== STATE_DIR).map((e) => ({ ...e }));
  if (stateTree !== null) {
    entries.push({ mode: "040000", path: STATE_DIR, oid: stateTree, type: "tree" });
  }
  return await (await isoGit()).writeTree({ fs: nodeFs(), gitdir: repo.gitdir, tree: entries });
}

function checkReplaceable(path: string, existing: TreeEntry | undefined, deleting: boolean): void {
  if (!existing) return;
  if (existing.type === "tree") {
    throw new KilnError("BAD_REQUEST", `${quote(path)} is a directory, not a file`, { path });
  }
  if (isSpecialMode(existing.mode) && !deleting) blocked(path, existing);
}

function blocked(path: string, existing: TreeEntry): never {
  if (isSpecialMode(existing.mode)) {
    throw new KilnError("PATH_NOT_ALLOWED", `${quote(path)} is a symlink or submodule`, { path });
  }
  throw new KilnError("BAD_REQUEST", `${quote(path)} is a file, not a directory`, { path });
}
