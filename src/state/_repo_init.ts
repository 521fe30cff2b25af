import { isoGit } from "./_isogit.ts";
import { LIMITS } from "../core/mod.ts";
import { nodeFs } from "../core/node/mod.ts";

/**
 * How a repo's `pre-receive` hook reaches the running Kiln: the argv of `kiln git-hook
 * pre-receive` (the compiled binary, or deno running `src/main.ts`) and Kiln's loopback URL
 * for it. The URL and a per-repo secret are written to {@link PUSH_HOOK_FILE} in the gitdir.
 */
export interface PushHookSetup {
  command: readonly string[];
  url: string;
}

/** The file in a gitdir holding `{url, secret}` for its hook; readable by its owner only. */
export const PUSH_HOOK_FILE = "kiln-push.json";

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
    ["receive.denyDeletes", true],
    ["receive.denyNonFastForwards", true],
    ["receive.fsckObjects", true],
    ["receive.maxInputSize", String(LIMITS["git.push.bytes"])],
  ];
}

/**
 * The `pre-receive` hook: Git keeps pushed objects in quarantine until this accepts them, so a
 * push holding an object larger than Kiln ever reads (`git.object.bytes`, any type) is refused
 * with a message and its objects never enter the repository. `cat-file --batch-check` reads
 * only object headers. Kiln's own reader checks every size again; this spares it the objects.
 * With a {@link PushHookSetup}, the updates then go to Kiln (`kiln git-hook pre-receive`),
 * which validates each new revision as the API would and prints why it refuses one.
 */
export function preReceiveHook(setup?: PushHookSetup): string {
  const max = LIMITS["git.object.bytes"];
  const ask = setup
    ? `[ -n "$input" ] || exit 0
printf '%s\\n' "$input" | exec ${setup.command.map(shellQuote).join(" ")} git-hook pre-receive
`
    : "";
  return `#!/bin/sh
# Written by Kiln (kiln-pre-receive v4). Refuses objects over git.object.bytes (${max} bytes)${
    setup ? ", then asks Kiln" : ""
  }.
zero=0000000000000000000000000000000000000000
input=$(cat)
printf '%s\\n' "$input" | {
  status=0
  while read old new ref; do
    [ -z "$new" ] || [ "$new" = "$zero" ] && continue
    git rev-list --objects "$new" --not --all |
      git cat-file --batch-check='%(objecttype) %(objectsize) %(objectname) %(rest)' |
      awk -v max=${max} '$2 + 0 > max {
        printf "kiln: %s %s is %s bytes; Kiln reads no object over %s bytes (git.object.bytes)\\n",
          $1, $3, $2, max > "/dev/stderr"; bad = 1 }
        END { exit bad }' || status=1
  done
  exit $status
} || exit 1
${ask}`;
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
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
export async function initBareRepo(gitdir: string, hook?: PushHookSetup): Promise<void> {
  if (await repoDirExists(gitdir)) return;
  const slash = gitdir.lastIndexOf("/");
  const parent = gitdir.slice(0, slash);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${parent}/.${gitdir.slice(slash + 1)}.init-${crypto.randomUUID()}`;
  try {
    await (await isoGit()).init({ fs: nodeFs(), gitdir: tmp, bare: true, defaultBranch: "main" });
    await configureRepo(tmp, hook);
    await Deno.rename(tmp, gitdir);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Brings a repo's config and hook to what this Kiln expects: at creation, and when Kiln first
 * opens a repo an older Kiln (or an operator) set up. Writes only what differs.
 */
export async function configureRepo(gitdir: string, hook?: PushHookSetup): Promise<void> {
  if (!(await configIsCurrent(gitdir))) {
    const git = await isoGit();
    for (const [path, value] of repoConfig()) {
      const current = await git.getConfig({ fs: nodeFs(), gitdir, path });
      if (current !== value && String(current) !== String(value)) {
        await git.setConfig({ fs: nodeFs(), gitdir, path, value });
      }
    }
  }
  if (hook) await writePushHookFile(gitdir, hook.url);
  const path = `${gitdir}/hooks/pre-receive`;
  const text = preReceiveHook(hook);
  if ((await readOrNull(path)) === text) return;
  // Not recursive: a repo removed meanwhile must stay removed, not come back as `hooks/`.
  await Deno.mkdir(`${gitdir}/hooks`).catch((err) => {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  });
  await writeAtomically(path, text, 0o755);
}

/**
 * Points the hook at `url`, keeping the repo's secret (a new one, 256 random bits, the first
 * time). Only the owner may read it: whoever can read it may ask Kiln to check pushes.
 */
async function writePushHookFile(gitdir: string, url: string): Promise<void> {
  const current = await readPushHookFile(gitdir);
  if (current?.url === url) return;
  const secret = current?.secret ??
    Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  await writeAtomically(`${gitdir}/${PUSH_HOOK_FILE}`, JSON.stringify({ url, secret }), 0o600);
}

/** The hook's `{url, secret}`, or null when the repo has none (or an unreadable one). */
export async function readPushHookFile(
  gitdir: string,
): Promise<{ url: string; secret: string } | null> {
  const text = await readOrNull(`${gitdir}/${PUSH_HOOK_FILE}`);
  if (text === null) return null;
  try {
    const value = JSON.parse(text);
    return typeof value?.url === "string" && typeof value?.secret === "string" ? value : null;
  } catch {
    return null;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, text, { mode });
  // The mode given at creation is masked by the umask; the secret must not be.
  await Deno.chmod(tmp, mode);
  await Deno.rename(tmp, path);
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
