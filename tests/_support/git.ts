/** The stock `git` CLI for interop tests, isolated from the user's and system config. */

/** Runs the stock `git` CLI isolated from user and system config; returns stdout. */
export async function git(args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: {
      GIT_AUTHOR_NAME: "Tester",
      GIT_AUTHOR_EMAIL: "tester@example.com",
      GIT_COMMITTER_NAME: "Tester",
      GIT_COMMITTER_EMAIL: "tester@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Asserts `git fsck --strict` finds nothing wrong with the repo. */
export async function assertFsckClean(gitdir: string): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["--git-dir", gitdir, "fsck", "--strict", "--no-dangling"],
    stdout: "piped",
    stderr: "piped",
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success || /error|warning|missing|broken|bad/i.test(text)) {
    throw new Error(`git fsck --strict is not clean (exit ${out.code}):\n${text}`);
  }
}
