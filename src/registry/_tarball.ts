import { Buffer } from "node:buffer";
import { concatBytes, KilnError, quote, Slicer } from "../core/mod.ts";

/** One tar entry; content is empty for anything but regular files. */
export interface TarEntry {
  path: string;
  type: "file" | "directory" | "symlink" | "link" | "other";
  content: Uint8Array;
}

/** What one upload may unpack to. */
export interface TarballLimits {
  /** The archive, once gunzipped. */
  maxBytes: number;
  /** One entry's content. */
  maxFileBytes: number;
}

/** Archive bytes per step: gunzipped, or handed to the tar parser. */
const STEP_BYTES = 64 * 1024;
/** Compressed bytes per step: at zlib's worst ratio (~1:1032) a step makes at most ~8 MiB. */
const GZIP_STEP_BYTES = 8 * 1024;

/**
 * Reads a (optionally gzipped) tarball, refusing absolute paths, `..` and anything over `limits`.
 * The archive streams from the gunzipper into the tar parser in steps, giving the event loop a turn
 * between slices (stream steps settle as promise jobs, which let no timer or request in), so a
 * large upload never holds Kiln's thread in one piece (64 MiB in one go held it for over 100 ms).
 */
export async function readTarball(bytes: Uint8Array, limits: TarballLimits): Promise<TarEntry[]> {
  // tar-stream (and its stream stack) loads on the first upload; the specifier stays literal
  // so `deno compile` embeds it.
  const { default: tar } = await import("tar-stream");
  const extract = tar.extract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const path = header.name;
      if (path.startsWith("/") || path.split("/").includes("..")) {
        reject(new KilnError("PATH_NOT_ALLOWED", `tarball entry ${quote(path)} escapes the app`));
        return;
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      stream.on("data", (data: unknown) => {
        const chunk = data as Uint8Array;
        size += chunk.length;
        if (size > limits.maxFileBytes) {
          reject(
            new KilnError(
              "PAYLOAD_TOO_LARGE",
              `${quote(path)} is more than ${limits.maxFileBytes} bytes, the limit for a file`,
            ),
          );
        } else chunks.push(chunk);
      });
      stream.on("end", () => {
        entries.push({ path, type: kindOf(header.type), content: concatBytes(chunks) });
        next();
      });
      stream.on("error", reject);
    });
    extract.on("finish", resolve);
    extract.on("error", (err: Error) =>
      reject(
        new KilnError("VALIDATION_ERROR", `the upload is not a valid tar archive: ${err.message}`),
      ));
  });
  let failed = false;
  done.catch(() => (failed = true));
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const slicer = new Slicer();
  for await (const chunk of gzipped ? gunzip(bytes, limits.maxBytes, slicer) : steps(bytes)) {
    if (failed) break;
    // A view, not a copy (`Buffer.from(Uint8Array)` copies byte by byte).
    if (!extract.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))) {
      await Promise.race([new Promise<void>((r) => extract.once("drain", () => r())), done]);
    }
    await slicer.pause();
  }
  if (!failed) extract.end(Buffer.alloc(0));
  await done;
  return entries;
}

/** `bytes` in steps. */
function* steps(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += STEP_BYTES) yield bytes.subarray(at, at + STEP_BYTES);
}

/**
 * Gunzips through a `DecompressionStream` fed `GZIP_STEP_BYTES` at a time; stops as soon as the
 * output passes `maxBytes`, so a small bomb cannot make it allocate more.
 */
async function* gunzip(
  bytes: Uint8Array,
  maxBytes: number,
  slicer: Slicer,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + GZIP_STEP_BYTES));
      at += GZIP_STEP_BYTES;
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("gzip")).getReader();
  let total = 0;
  try {
    for (;;) {
      await slicer.pause();
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw new KilnError(
          "VALIDATION_ERROR",
          `the upload is not a readable gzip stream: ${(err as Error).message}`,
        );
      }
      if (step.done) return;
      total += step.value.length;
      if (total > maxBytes) {
        throw new KilnError(
          "PAYLOAD_TOO_LARGE",
          `the upload inflates to more than ${maxBytes} bytes`,
        );
      }
      yield step.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
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
