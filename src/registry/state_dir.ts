/**
 * Walks an app's `state/` folder on disk, as registration and `kiln dev` read it: regular files
 * only, `.git` folders skipped, and a symlink refused (it could point anywhere on the machine).
 */
import { join } from "node:path";
import { KilnError, quote } from "../core/mod.ts";

/** One file under `state/`: its path relative to `state/` and on disk. */
export interface StateDirFile {
  rel: string;
  abs: string;
}

/** The files under `root` (a `state/` folder), skipping entries whose name `skip` matches. */
export async function* stateDirFiles(
  root: string,
  skip: (name: string) => boolean = () => false,
  rel = "",
): AsyncGenerator<StateDirFile> {
  for await (const entry of Deno.readDir(root)) {
    if (skip(entry.name)) continue;
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    const abs = join(root, entry.name);
    if (entry.isSymlink) {
      throw new KilnError(
        "PATH_NOT_ALLOWED",
        `${quote(`state/${childRel}`)} is a symlink; symlinks are not accepted in app definitions`,
      );
    }
    if (entry.isDirectory) {
      if (entry.name.toLowerCase() !== ".git") yield* stateDirFiles(abs, skip, childRel);
    } else if (entry.isFile) {
      yield { rel: childRel, abs };
    }
  }
}
