import { appPath } from "./_client.ts";
import { runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, type Io, table } from "./_output.ts";

interface Commit {
  revision: string;
  message: string;
  author: { name: string; email: string };
  timestamp: string;
}
interface Written {
  resultingRevision: string;
}

const q = (params: Record<string, unknown>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (typeof v === "string") s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : "";
};

async function readInput(file: string): Promise<string> {
  try {
    if (file === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  get: {
    args: "APP PATH",
    summary: "A definition file's content (PATH relative to state/)",
    options: { revision: { type: "string", help: "Read at this revision (default: head)" } },
    async run({ args: [appId, path], opts, api, print }) {
      const file = await api(
        "GET",
        appPath(appId, `/definitions/file${q({ path, revision: opts.revision })}`),
      ) as { content: string; revision: string };
      print(file, () => file.content.replace(/\n$/, ""));
      return 0;
    },
  },
  put: {
    args: "APP PATH FILE",
    summary: "Write FILE (- for stdin) to PATH in one validated commit",
    options: {
      message: { type: "string", short: "m", help: "Commit message (default: Update PATH)" },
      base: { type: "string", help: "Expected base revision; a newer head is a conflict" },
    },
    async run({ args: [appId, path, file], opts, api, print }) {
      const content = await readInput(file);
      const r = await api("PUT", appPath(appId, "/definitions/file"), {
        path,
        content,
        commitMessage: opts.message ?? `Update ${path}`,
        ...(opts.base ? { expectedBaseRevision: opts.base } : {}),
      }) as Written;
      print(r, () => `committed ${path} as ${r.resultingRevision}`);
      return 0;
    },
  },
  diff: {
    args: "APP FROM [TO]",
    summary: "Unified diff between two revisions (TO defaults to the head)",
    options: { path: { type: "string", help: "Only this file" } },
    async run({ args: [appId, from, to], opts, api, print }) {
      const r = await api(
        "GET",
        appPath(appId, `/definitions/diff${q({ from, to, path: opts.path })}`),
      ) as { diff: string };
      print(r, () => r.diff.replace(/\n$/, "") || "no changes");
      return 0;
    },
  },
  history: {
    args: "APP",
    summary: "Commits, newest first",
    options: {
      path: { type: "string", help: "Only commits touching this file" },
      limit: { type: "string", help: "At most this many (1-500)" },
    },
    async run({ args: [appId], opts, api, print }) {
      const { commits } = await api(
        "GET",
        appPath(appId, `/definitions/history${q({ path: opts.path, limit: opts.limit })}`),
      ) as { commits: Commit[] };
      print(commits, () =>
        table(
          ["REVISION", "DATE", "AUTHOR", "MESSAGE"],
          commits.map((c) => [
            c.revision.slice(0, 12),
            c.timestamp,
            c.author.name,
            c.message.split("\n")[0],
          ]),
        ));
      return 0;
    },
  },
  revert: {
    args: "APP REVISION",
    summary: "Undo REVISION with a new commit on top of the head (like git revert)",
    options: {
      message: { type: "string", short: "m", help: "Commit message" },
      base: { type: "string", help: "Expected base revision" },
    },
    async run({ args: [appId, revision], opts, api, print }) {
      const r = await api("POST", appPath(appId, "/definitions/revert"), {
        revision,
        ...(opts.message ? { commitMessage: opts.message } : {}),
        ...(opts.base ? { expectedBaseRevision: opts.base } : {}),
      }) as Written;
      print(r, () => `reverted to ${revision} as ${r.resultingRevision}`);
      return 0;
    },
  },
};

/** `kiln defs …`: an app's Git-versioned definition files. */
export function defsCommand(args: string[], io: Io): Promise<number> {
  return runGroup("defs", "An app's definition files (Git-versioned).", SUBCOMMANDS, args, io);
}
