import { KilnError } from "../core/mod.ts";

/**
 * Moves `ref` from `expected` to `next` with Git's own lock-file protocol, so a concurrent
 * stock `git push` (or `git gc` packing refs) and Kiln serialize exactly as two Git processes
 * would: `<ref>.lock` is created exclusively, the current value re-read under it (it must still
 * be `expected`, else CONFLICT), the new value written and the lock renamed over the ref. The
 * lock is removed on every failure.
 */
export async function compareAndSwapRef(opts: {
  gitdir: string;
  ref: string;
  expected: string | null;
  next: string;
  readCurrent: () => Promise<string | null>;
}): Promise<void> {
  const refPath = `${opts.gitdir}/${opts.ref}`;
  const lockPath = `${refPath}.lock`;
  await Deno.mkdir(refPath.slice(0, refPath.lastIndexOf("/")), { recursive: true });
  let lock: Deno.FsFile;
  try {
    lock = await Deno.open(lockPath, { write: true, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new KilnError(
        "CONFLICT",
        `${opts.ref} is locked by another writer (${lockPath} exists); retry`,
        { expectedBaseRevision: opts.expected, lock: lockPath },
      );
    }
    throw err;
  }
  let renamed = false;
  try {
    try {
      const current = await opts.readCurrent();
      if (current !== opts.expected) {
        throw new KilnError(
          "CONFLICT",
          `${opts.ref} moved to ${current ?? "(none)"} while committing on ${
            opts.expected ?? "(none)"
          }`,
          { expectedBaseRevision: opts.expected, currentRevision: current },
        );
      }
      await writeAll(lock, new TextEncoder().encode(`${opts.next}\n`));
    } finally {
      lock.close();
    }
    await Deno.rename(lockPath, refPath);
    renamed = true;
  } finally {
    if (!renamed) await Deno.remove(lockPath).catch(() => {});
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}
