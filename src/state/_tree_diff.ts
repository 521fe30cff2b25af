import { limitExceeded, LIMITS } from "../core/mod.ts";
import type { GitObjects, Repo } from "./_git_objects.ts";
import { isSpecialMode, listFiles } from "./_git_tree.ts";
import { formatFileDiff } from "./_patch.ts";

/**
 * A git-style unified diff of every file that differs between two `state/` trees (or only
 * `path`, a file or a folder; `""` for all), each part usable as input to applyDefinitionDiff.
 * The answer is held to `diff.bytes`: past it the diff is refused (LIMIT_EXCEEDED) rather than
 * cut, since half a diff applied is a wrong edit; a narrower `path` gets it in parts.
 */
export async function stateTreeDiff(
  objs: GitObjects,
  repo: Repo,
  fromTree: string | null,
  toTree: string | null,
  path: string,
): Promise<string> {
  const [from, to] = await Promise.all([
    listFiles(objs, repo, fromTree),
    listFiles(objs, repo, toTree),
  ]);
  const inScope = (p: string) => path === "" || p === path || p.startsWith(`${path}/`);
  const paths = [...new Set([...from.keys(), ...to.keys()])].filter(inScope).sort();
  const max = LIMITS["diff.bytes"];
  const parts: string[] = [];
  let size = 0;
  for (const p of paths) {
    const [a, b] = [from.get(p), to.get(p)];
    if (a?.oid === b?.oid && a?.mode === b?.mode) continue;
    if ((a && isSpecialMode(a.mode)) || (b && isSpecialMode(b.mode))) continue;
    const oldText = a ? await objs.text(repo, a.oid, p) : undefined;
    const newText = b ? await objs.text(repo, b.oid, p) : undefined;
    if (oldText === newText) continue;
    const part = formatFileDiff(p, oldText, newText);
    size += part.length;
    if (size > max) {
      throw limitExceeded(
        "diff.bytes",
        `the diff is larger than ${max} bytes; ask for one file or folder with path=…`,
        { max, path: path || null, reachedAt: p },
      );
    }
    parts.push(part);
  }
  return parts.join("");
}
