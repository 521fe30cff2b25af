import fs from "node:fs";
import { isoGit } from "./_isogit.ts";
import { LIMITS } from "../core/mod.ts";

/**
 * Config Kiln gives every app repo: stock Git must treat it as a normal case-sensitive bare
 * repo (isomorphic-git's defaults assume a case-insensitive worktree), must refuse pushes of
 * malformed objects (`.git` entries, broken trees) and pushes larger than `git.push.bytes`
 * before they reach Kiln, and must stream rather than buffer objects larger than Kiln reads.
 */
function repoConfig(): [string, boolean | string | undefined][] {
  return [
    ["core.filemode", true],
    ["core.ignorecase", false],
    ["core.symlinks", undefined],
    ["core.bigFileThreshold", String(LIMITS["git.object.bytes"])],
    ["receive.fsckObjects", true],
    ["receive.maxInputSize", String(LIMITS["git.push.bytes"])],
  ];
}

/**
 * The `pre-receive` hook: Git keeps pushed objects in quarantine until this accepts them, so a
 * push holding an object larger than Kiln ever reads (`git.object.bytes`, any type) is refused
 * with a message and its objects never enter the repository. `cat-file --batch-check` reads
 * only object headers. Kiln's own reader checks every size again; this spares it the objects.
 */
export function preReceiveHook(): string {
  const max = LIMITS["git.object.bytes"];
  return `#!/bin/sh
# Written by Kiln (kiln-pre-receive v3). Refuses objects over git.object.bytes (${max} bytes).
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  git rev-list --objects "$new" --not --all |
    git cat-file --batch-check='%(objecttype) %(objectsize) %(objectname) %(rest)' |
    awk -v max=${max} '$2 + 0 > max {
      printf "kiln: %s %s is %s bytes; Kiln reads no object over %s bytes (git.object.bytes)\\n",
        $1, $3, $2, max > "/dev/stderr"; bad = 1 }
      END { exit bad }' || status=1
done
exit $status
`;
}

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
    await (await isoGit()).init({ fs, gitdir: tmp, bare: true, defaultBranch: "main" });
    await configureRepo(tmp);
    await Deno.rename(tmp, gitdir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Brings a repo's config and hook to what this Kiln expects: at creation, and when Kiln first
 * opens a repo an older Kiln (or an operator) set up. Writes only what differs.
 */
export async function configureRepo(gitdir: string): Promise<void> {
  if (!(await configIsCurrent(gitdir))) {
    const git = await isoGit();
    for (const [path, value] of repoConfig()) {
      const current = await git.getConfig({ fs, gitdir, path });
      if (current !== value && String(current) !== String(value)) {
        await git.setConfig({ fs, gitdir, path, value });
      }
    }
  }
  const hook = `${gitdir}/hooks/pre-receive`;
  const text = preReceiveHook();
  let existing: string | null = null;
  try {
    existing = await Deno.readTextFile(hook);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (existing === text) return;
  // Not recursive: a repo removed meanwhile must stay removed, not come back as `hooks/`.
  await Deno.mkdir(`${gitdir}/hooks`).catch((err) => {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  });
  const tmp = `${hook}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o755 });
  await Deno.rename(tmp, hook);
}

/**
 * True when the repo's config already holds exactly `repoConfig()`, read from plain
 * `key = value` lines (what Git and Kiln write), so opening a configured repo needs no Git
 * library. Anything unusual (subsections, quoting, comments after values) answers false, and
 * isomorphic-git reads and writes the config as before.
 */
async function configIsCurrent(gitdir: string): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${gitdir}/config`);
  } catch {
    return false;
  }
  const values = new Map<string, string>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([A-Za-z0-9-]+)\]$/.exec(line);
    if (header) {
      section = header[1].toLowerCase();
      continue;
    }
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*([^\s"#;\\]*)$/.exec(line);
    if (!entry || section === "") return false;
    const key = `${section}.${entry[1].toLowerCase()}`;
    if (values.has(key)) return false;
    values.set(key, entry[2]);
  }
  return repoConfig().every(([path, value]) => {
    const got = values.get(path.toLowerCase());
    return value === undefined ? got === undefined : got === String(value);
  });
}
