import { basename, resolve } from "node:path";
import { CliError, type Io } from "./_output.ts";

export const GIT_HOOK_HELP = `Usage: kiln git-hook pre-receive

Run by an app repository's pre-receive hook (Kiln installs it): reads Git's ref updates from
stdin, asks the running Kiln whether each new revision is valid, prints its answer (Git shows
it as "remote:" lines) and exits non-zero to refuse the push.`;

/** How long the hook waits for Kiln's answer; a push must not hang on a stuck Kiln. */
const ANSWER_TIMEOUT_MS = 120_000;

/** `kiln git-hook pre-receive`: the client half of the push gate. */
export async function gitHookCommand(args: string[], io: Io): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    io.out(GIT_HOOK_HELP);
    return 0;
  }
  if (args[0] !== "pre-receive" || args.length > 1) {
    throw new CliError(`expected "git-hook pre-receive"\n\n${GIT_HOOK_HELP}`, 2);
  }
  const gitdir = await Deno.realPath(Deno.env.get("GIT_DIR") ?? ".");
  const appId = basename(gitdir).replace(/\.git$/, "");
  let hook: { url: string; secret: string };
  try {
    hook = JSON.parse(await Deno.readTextFile(`${gitdir}/kiln-push.json`));
  } catch (err) {
    throw new CliError(`this repository has no readable Kiln hook file: ${(err as Error).message}`);
  }
  const updates = (await new Response(Deno.stdin.readable).text()).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 3)
    .map(([old, next, ref]) => ({ old, new: next, ref }));
  const env = (name: string) => Deno.env.get(name) ?? "";
  const objectDirs = [
    env("GIT_OBJECT_DIRECTORY") || `${gitdir}/objects`,
    ...env("GIT_ALTERNATE_OBJECT_DIRECTORIES").split(":"),
  ].filter(Boolean).map((dir) => resolve(gitdir, dir));
  let res: Response;
  try {
    res = await fetch(`${hook.url}/pre-receive`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appId, secret: hook.secret, updates, objectDirs }),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
  } catch (err) {
    io.err(`kiln: Kiln did not answer at ${hook.url} (${(err as Error).message})`);
    io.err("kiln: pushes are checked by the running Kiln; start it (kiln serve) and push again");
    return 1;
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok || !Array.isArray(answer?.messages)) {
    const message = answer?.error?.message ?? `HTTP ${res.status}`;
    io.err(`kiln: Kiln could not check the push: ${message}`);
    return 1;
  }
  for (const line of answer.messages) io.err(String(line));
  return answer.accepted === true ? 0 : 1;
}
