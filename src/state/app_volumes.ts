import { dirname, join } from "node:path";
import { KilnError, quote, removeTree } from "../core/mod.ts";
import { AppId } from "../models/mod.ts";

/** Largest file `core.filesystem.*` reads or writes in one call. */
export const MAX_VOLUME_FILE_BYTES = 4 << 20;

/**
 * Each app's own volume: a directory under `<dataDir>/volumes/<appId>` that the container tier
 * bind-mounts and `core.filesystem.*` reads and writes. Sandboxed code can plant symlinks in it,
 * so every path component is checked with `lstat` before and the file's inode after opening:
 * no read or write ever follows a link out of the volume.
 */
export class AppVolumes {
  constructor(readonly root: string) {}

  /** The host directory of `appId`'s volume (created on first write). */
  dirOf(appId: string): string {
    if (!AppId.safeParse(appId).success) {
      throw new KilnError("BAD_REQUEST", `not an app id: ${quote(appId)}`);
    }
    return join(this.root, appId);
  }

  /** Reads one file; FILE_NOT_FOUND when absent, PAYLOAD_TOO_LARGE past the cap. */
  async readFile(appId: string, path: string): Promise<Uint8Array> {
    const full = await this.#confined(appId, path, false);
    const before = await lstatOrNull(full);
    if (!before) throw new KilnError("FILE_NOT_FOUND", `no file ${quote(path)} in the app volume`);
    if (!before.isFile) {
      throw new KilnError("PATH_NOT_ALLOWED", `${quote(path)} is not a regular file`);
    }
    if (before.size > MAX_VOLUME_FILE_BYTES) throw tooLarge(path, before.size);
    using file = await Deno.open(full, { read: true });
    await sameInode(file, before, path);
    const bytes = new Uint8Array(await new Response(file.readable).arrayBuffer());
    if (bytes.length > MAX_VOLUME_FILE_BYTES) throw tooLarge(path, bytes.length);
    return bytes;
  }

  /** Creates or replaces one file atomically (temp file, then rename), making parent folders. */
  async writeFile(appId: string, path: string, data: Uint8Array): Promise<void> {
    if (data.length > MAX_VOLUME_FILE_BYTES) throw tooLarge(path, data.length);
    const full = await this.#confined(appId, path, true);
    const existing = await lstatOrNull(full);
    if (existing && !existing.isFile) {
      throw new KilnError("PATH_NOT_ALLOWED", `${quote(path)} exists and is not a regular file`);
    }
    const temp = `${full}.kiln-${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeFile(temp, data, { createNew: true, mode: 0o644 });
      await this.#confined(appId, path, false);
      await Deno.rename(temp, full);
    } catch (err) {
      await Deno.remove(temp).catch(() => {});
      throw err;
    }
  }

  /** Removes `appId`'s volume and everything in it (when the app is deregistered). */
  async remove(appId: string): Promise<void> {
    await removeTree(this.dirOf(appId));
  }

  /** Resolves `path` inside the volume, refusing escapes and any symlinked component. */
  async #confined(appId: string, path: string, createParents: boolean): Promise<string> {
    const parts = volumeSegments(path);
    let current = this.dirOf(appId);
    if (createParents) await Deno.mkdir(current, { recursive: true });
    for (const [index, part] of parts.entries()) {
      current = join(current, part);
      const info = await lstatOrNull(current);
      if (info?.isSymlink) {
        throw new KilnError("PATH_NOT_ALLOWED", `${quote(path)} passes through a symbolic link`);
      }
      const last = index === parts.length - 1;
      if (last) break;
      if (!info && createParents) await Deno.mkdir(current).catch(ignoreExists);
      else if (info && !info.isDirectory) {
        throw new KilnError("PATH_NOT_ALLOWED", `${quote(path)}: ${quote(part)} is not a folder`);
      }
    }
    return join(dirname(current), parts.at(-1)!);
  }
}

/** Splits a volume path into plain segments; absolute paths, `..`, `.` and NUL are refused. */
export function volumeSegments(path: string): string[] {
  const refuse = (why: string) =>
    new KilnError("PATH_NOT_ALLOWED", `volume path ${quote(path)} ${why}`);
  if (path.includes("\0")) throw refuse("contains NUL");
  if (path.includes("\\")) throw refuse("contains a backslash");
  if (path.startsWith("/")) throw refuse("is absolute; give it relative to the volume");
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.length === 0) throw refuse("names no file");
  if (parts.some((part) => part === "." || part === "..")) throw refuse("uses . or ..");
  if (parts.some((part) => part.length > 255)) throw refuse("has a segment over 255 bytes");
  return parts;
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function sameInode(file: Deno.FsFile, before: Deno.FileInfo, path: string): Promise<void> {
  const after = await file.stat();
  if (after.ino !== before.ino || after.dev !== before.dev) {
    throw new KilnError("CONFLICT", `${quote(path)} changed while it was being opened`);
  }
}

function ignoreExists(err: unknown): void {
  if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
}

function tooLarge(path: string, size: number): KilnError {
  return new KilnError(
    "PAYLOAD_TOO_LARGE",
    `${quote(path)} is ${size} bytes; the limit is ${MAX_VOLUME_FILE_BYTES}`,
    { size, limit: MAX_VOLUME_FILE_BYTES },
  );
}
