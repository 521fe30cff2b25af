import { join } from "node:path";
import { stateDirFiles } from "./state_dir.ts";
import { KilnError, quote } from "../core/mod.ts";
import { decodeText } from "../state/mod.ts";
import { readTarball } from "./_tarball.ts";

/** Limits on what one app may bring in at registration. */
export interface SourceLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxFiles: 2_000,
  maxFileBytes: 1 << 20,
  maxTotalBytes: 64 << 20,
};

/** Where an app's definitions come from: a UHLP directory, a tarball, or files in a request. */
export type AppSource =
  | { directory: string }
  | { tarball: Uint8Array }
  | { files: Record<string, string> };

/** The app's `state/` files, keyed by their path relative to `state/`. */
export type StateFiles = Map<string, string>;

/** Reads a source into state files, refusing symlinks, binary files and anything over limits. */
export async function readAppSource(
  source: AppSource,
  limits: SourceLimits = DEFAULT_SOURCE_LIMITS,
): Promise<StateFiles> {
  const budget = new Budget(limits);
  if ("directory" in source) return await readDirectory(source.directory, budget);
  if ("tarball" in source) {
    const files = new Map<string, string>();
    for (
      const entry of await readTarball(source.tarball, {
        maxBytes: limits.maxTotalBytes,
        maxFileBytes: limits.maxFileBytes,
      })
    ) {
      const rel = statePath(entry.path);
      if (rel === null || entry.type === "directory") continue;
      if (entry.type !== "file") {
        throw new KilnError(
          "PATH_NOT_ALLOWED",
          `tarball entry ${quote(entry.path)} is a ${entry.type}; only regular files are accepted`,
        );
      }
      files.set(rel, await budget.take(rel, entry.content));
    }
    return requireDefinition(files);
  }
  const files = new Map<string, string>();
  for (const [path, content] of Object.entries(source.files)) {
    if (typeof content !== "string") {
      throw new KilnError("VALIDATION_ERROR", `file ${quote(path)} must be a string`);
    }
    files.set(path, await budget.take(path, content));
  }
  return requireDefinition(files);
}

async function readDirectory(dir: string, budget: Budget): Promise<StateFiles> {
  const root = join(dir, "state");
  try {
    const info = await Deno.lstat(root);
    if (!info.isDirectory) throw new Error("not a directory");
  } catch {
    throw new KilnError(
      "VALIDATION_ERROR",
      `${quote(dir)} is not an app directory: it has no state/ folder`,
    );
  }
  const files = new Map<string, string>();
  for await (const { rel, abs } of stateDirFiles(root)) {
    files.set(rel, await budget.take(rel, await Deno.readFile(abs)));
  }
  return requireDefinition(files);
}

/** Maps a tarball path onto `state/`, allowing one wrapping folder (`app/state/...`). */
function statePath(path: string): string | null {
  const clean = path.replace(/^\.\//, "");
  const parts = clean.split("/").filter((p) => p !== "");
  const at = parts.indexOf("state");
  if (at < 0 || at > 1 || at === parts.length - 1) return null;
  return parts.slice(at + 1).join("/");
}

function requireDefinition(files: StateFiles): StateFiles {
  if (!files.has("app_definition.yaml")) {
    throw new KilnError(
      "VALIDATION_ERROR",
      "the app has no state/app_definition.yaml",
      { files: [...files.keys()].slice(0, 20) },
    );
  }
  return files;
}

const ENCODER = new TextEncoder();

class Budget {
  #files = 0;
  #bytes = 0;
  constructor(private readonly limits: SourceLimits) {}

  /**
   * Counts a file against the limits and answers its text, as a UTF-8 round trip would make it:
   * lone surrogates of given text become U+FFFD, bytes must be UTF-8, one leading BOM is
   * dropped. Given text is only measured, not decoded again; large files are decoded in slices.
   */
  async take(path: string, content: Uint8Array | string): Promise<string> {
    const bytes = typeof content === "string" ? ENCODER.encode(content) : content;
    this.#files += 1;
    this.#bytes += bytes.length;
    if (this.#files > this.limits.maxFiles) {
      throw new KilnError(
        "PAYLOAD_TOO_LARGE",
        `an app may have at most ${this.limits.maxFiles} files`,
      );
    }
    if (bytes.length > this.limits.maxFileBytes) {
      throw new KilnError(
        "PAYLOAD_TOO_LARGE",
        `${quote(path)} is ${bytes.length} bytes; the limit is ${this.limits.maxFileBytes}`,
      );
    }
    if (this.#bytes > this.limits.maxTotalBytes) {
      throw new KilnError(
        "PAYLOAD_TOO_LARGE",
        `the app exceeds ${this.limits.maxTotalBytes} bytes`,
      );
    }
    const text = typeof content === "string" ? content.toWellFormed() : await decodeText(bytes);
    if (text === null) throw new KilnError("VALIDATION_ERROR", `${quote(path)} is not UTF-8 text`);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}
