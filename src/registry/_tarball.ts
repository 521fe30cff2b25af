import { gunzipSync } from "node:zlib";
import { Buffer } from "node:buffer";
import { KilnError, quote } from "../core/mod.ts";

/** One tar entry; content is empty for anything but regular files. */
export interface TarEntry {
  path: string;
  type: "file" | "directory" | "symlink" | "link" | "other";
  content: Uint8Array;
}

/** Reads a (optionally gzipped) tarball in memory, refusing absolute paths and `..`. */
export async function readTarball(bytes: Uint8Array, maxBytes: number): Promise<TarEntry[]> {
  let raw: Buffer;
  try {
    raw = bytes[0] === 0x1f && bytes[1] === 0x8b
      ? gunzipSync(bytes, { maxOutputLength: maxBytes })
      : Buffer.from(bytes);
  } catch (err) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `the upload is not a readable gzip stream: ${(err as Error).message}`,
    );
  }
  // tar-stream (and its stream stack) loads on the first upload; the specifier stays literal
  // so `deno compile` embeds it.
  const { default: tar } = await import("tar-stream");
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        const path = header.name;
        if (path.startsWith("/") || path.split("/").includes("..")) {
          reject(new KilnError("PATH_NOT_ALLOWED", `tarball entry ${quote(path)} escapes the app`));
          return;
        }
        entries.push({ path, type: kindOf(header.type), content: Buffer.concat(chunks) });
        next();
      });
      stream.on("error", reject);
    });
    extract.on("finish", resolve);
    extract.on(
      "error",
      (err: Error) =>
        reject(
          new KilnError(
            "VALIDATION_ERROR",
            `the upload is not a valid tar archive: ${err.message}`,
          ),
        ),
    );
  });
  extract.end(raw);
  await done;
  return entries;
}

function kindOf(type: string | null | undefined): TarEntry["type"] {
  switch (type) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "directory";
    case "symlink":
      return "symlink";
    case "link":
      return "link";
    default:
      return "other";
  }
}
