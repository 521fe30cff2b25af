import git from "isomorphic-git";
import fs from "node:fs";

/**
 * Config Kiln gives every app repo: stock Git must treat it as a normal case-sensitive bare
 * repo (isomorphic-git's defaults assume a case-insensitive worktree), and must refuse pushes of
 * malformed objects (`.git` entries, broken trees) before they reach Kiln.
 */
const CONFIG: [string, boolean | undefined][] = [
  ["core.filemode", true],
  ["core.ignorecase", false],
  ["core.symlinks", undefined],
  ["receive.fsckObjects", true],
];

/** Whether a bare repo lives at `gitdir`. */
export async function repoDirExists(gitdir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${gitdir}/HEAD`)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw err;
  }
}

/**
 * Creates a bare repo with branch `main` at `gitdir` unless one exists. It is built in a
 * temporary folder and renamed into place, so a crash never leaves a half-initialized repo.
 */
export async function initBareRepo(gitdir: string): Promise<void> {
  if (await repoDirExists(gitdir)) return;
  const slash = gitdir.lastIndexOf("/");
  const parent = gitdir.slice(0, slash);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${parent}/.${gitdir.slice(slash + 1)}.init-${crypto.randomUUID()}`;
  try {
    await git.init({ fs, gitdir: tmp, bare: true, defaultBranch: "main" });
    for (const [path, value] of CONFIG) await git.setConfig({ fs, gitdir: tmp, path, value });
    await Deno.rename(tmp, gitdir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
