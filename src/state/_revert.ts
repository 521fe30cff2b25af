import { KilnError, quote } from "../core/mod.ts";
import type { CommitData, GitObjects, Repo } from "./_git_objects.ts";
import { type FileEntry, isSpecialMode, listFiles, stateTreeOf } from "./_git_tree.ts";
import { applyFilePatch, reverseChange } from "./_patch.ts";
import type { FileChange } from "./_definition_writer.ts";

/**
 * The changes that undo `target` (against its first parent) on top of `currentState`, like
 * `git revert`: a file still as `target` left it is restored exactly; one changed since gets the
 * reverse patch, and PATCH_CONFLICT when that does not apply.
 */
export async function planRevert(
  objs: GitObjects,
  repo: Repo,
  target: CommitData,
  currentState: string | null,
): Promise<Map<string, FileChange>> {
  const parentTree = target.parents.length > 0
    ? (await objs.commit(repo, target.parents[0])).tree
    : null;
  const before = await listFiles(objs, repo, await stateTreeOf(objs, repo, parentTree));
  const after = await listFiles(objs, repo, await stateTreeOf(objs, repo, target.tree));
  const current = await listFiles(objs, repo, currentState);
  const changes = new Map<string, FileChange>();
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [b, a, c] = [before.get(path), after.get(path), current.get(path)];
    if (same(b, a)) continue;
    if ([b, a, c].some((e) => e && isSpecialMode(e.mode))) {
      throw conflict(path, target, "it involves a symlink or submodule");
    }
    if (same(c, a)) {
      changes.set(path, b ? { entry: b } : null);
      continue;
    }
    if (same(c, b)) continue;
    if (!a) throw conflict(path, target, "the file was created again since");
    if (!c) throw conflict(path, target, "the file was deleted since");
    if (!b) throw conflict(path, target, "the file was changed since");
    const [at, bt, ct] = await Promise.all([a, b, c].map((e) => objs.text(repo, e.oid)));
    if (at === null || bt === null || ct === null) {
      throw conflict(path, target, "the file is binary and was changed since");
    }
    changes.set(path, { content: applyFilePatch(reverseChange(path, at, bt), ct, path)! });
  }
  return changes;
}

function same(x: FileEntry | undefined, y: FileEntry | undefined): boolean {
  return x === undefined
    ? y === undefined
    : y !== undefined && x.oid === y.oid && x.mode === y.mode;
}

function conflict(path: string, target: CommitData, why: string): KilnError {
  return new KilnError(
    "PATCH_CONFLICT",
    `cannot revert ${target.oid} for ${quote(path)}: ${why}`,
    { path, revision: target.oid },
  );
}
