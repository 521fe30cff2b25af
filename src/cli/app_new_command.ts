import * as fs from "node:fs";
import { dirname, join, resolve } from "node:path";
import git from "isomorphic-git";
import { KilnError } from "../core/mod.ts";
import { templateFiles } from "../scaffold/mod.ts";
import type { Context } from "./_command.ts";
import { CliError, EXIT } from "./_output.ts";

/** `kiln app new NAME [--template T] [--dir PATH]`: a ready app directory, its own Git repo. */
export async function appNew({ args: [name], opts, print }: Context): Promise<number> {
  const template = typeof opts.template === "string" ? opts.template : "basic";
  let files: Record<string, string>;
  try {
    files = templateFiles(template, name);
  } catch (err) {
    if (err instanceof KilnError) throw new CliError(err.message, EXIT.USAGE);
    throw err;
  }
  const dir = resolve(typeof opts.dir === "string" ? opts.dir : name);
  await refuseNonEmpty(dir);
  const paths = Object.keys(files).sort();
  for (const path of paths) {
    await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
    await Deno.writeTextFile(join(dir, path), files[path], { createNew: true });
  }
  const commit = await firstCommit(dir, paths, name, template);
  const result = { appId: name, template, dir, files: paths, commit };
  print(result, () =>
    [
      `created ${name} from the ${template} template in ${dir}:`,
      ...paths.map((p) => `  ${p}`),
      `initialized a Git repository there with a first commit ${commit.slice(0, 12)}`,
      "",
      "next:",
      `  cd ${dir}`,
      "  kiln app test             # runs tests/*.test.yaml on a private Kiln",
      "  kiln app register .       # serves it on a running kiln serve",
    ].join("\n"));
  return EXIT.OK;
}

/** The target must not exist or be an empty directory: nothing of the author's is overwritten. */
async function refuseNonEmpty(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isDirectory) {
    throw new CliError(`"${dir}" exists and is not a directory`, EXIT.CONFLICT);
  }
  for await (const _ of Deno.readDir(dir)) {
    throw new CliError(
      `"${dir}" is not empty; kiln app new writes only into a new or empty directory`,
      EXIT.CONFLICT,
    );
  }
}

/** `git init` and a first commit: the new directory is the author's own repository. */
async function firstCommit(dir: string, paths: string[], name: string, template: string) {
  await git.init({ fs, dir, defaultBranch: "main" });
  for (const filepath of paths) await git.add({ fs, dir, filepath });
  const author = {
    name: Deno.env.get("GIT_AUTHOR_NAME") || "kiln app new",
    email: Deno.env.get("GIT_AUTHOR_EMAIL") || "kiln@localhost",
  };
  return await git.commit({
    fs,
    dir,
    author,
    message: `New app ${name} from Kiln's ${template} template\n`,
  });
}
