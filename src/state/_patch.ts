import { applyPatch, formatPatch, parsePatch, type StructuredPatch, structuredPatch } from "diff";
import { KilnError, LIMITS, quote } from "../core/mod.ts";
import { STATE_DIR } from "./_git_tree.ts";

/** A parsed single-file patch and what it does to the file. */
export interface FilePatch {
  kind: "modify" | "create" | "delete";
  patch: StructuredPatch;
}

const DEV_NULL = "/dev/null";

/**
 * Parses a unified diff (plain, `createTwoFilesPatch` or `git diff` output) that must change
 * exactly `filePath`. Names in headers may carry `a/`/`b/` prefixes and a leading `state/`, as
 * a `git diff` made in a clone does.
 */
export function parseFilePatch(diffContent: string, filePath: string): FilePatch {
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(diffContent);
  } catch (err) {
    throw invalid(`the diff cannot be parsed: ${(err as Error).message}`, filePath);
  }
  if (patches.length !== 1) {
    throw invalid(`the diff changes ${patches.length} files; exactly one is allowed`, filePath);
  }
  const patch = patches[0];
  if (patch.isRename || patch.isCopy) {
    throw invalid("renames and copies are not supported", filePath);
  }
  if (patch.isBinary) throw invalid("binary patches are not supported", filePath);
  const creates = patch.isCreate === true || patch.oldFileName === DEV_NULL;
  const deletes = patch.isDelete === true || patch.newFileName === DEV_NULL;
  if (creates && deletes) throw invalid("the diff both creates and deletes the file", filePath);
  for (const [name, prefix] of [[patch.oldFileName, "a/"], [patch.newFileName, "b/"]] as const) {
    if (name === undefined || name === DEV_NULL || namesPath(name, prefix, filePath)) continue;
    throw invalid(`the diff is for ${quote(name)}, not ${quote(filePath)}`, filePath);
  }
  if (patch.hunks.length === 0 && !creates && !deletes) {
    throw invalid("the diff contains no hunks", filePath);
  }
  return { kind: creates ? "create" : deletes ? "delete" : "modify", patch };
}

/**
 * Applies `parsed` to the base content (undefined when the file does not exist). Returns the
 * new content, or null when the patch deletes the file; PATCH_CONFLICT names the first hunk
 * that does not apply.
 */
export function applyFilePatch(
  parsed: FilePatch,
  base: string | undefined,
  filePath: string,
): string | null {
  if (parsed.kind === "create" && base !== undefined) {
    throw conflict(`${quote(filePath)} already exists at the base revision`, filePath);
  }
  if (parsed.kind !== "create" && base === undefined) {
    throw conflict(`${quote(filePath)} does not exist at the base revision`, filePath);
  }
  const result = applyPatch(base ?? "", parsed.patch);
  if (result === false) {
    const { hunks } = parsed.patch;
    let failing = hunks.length - 1;
    for (let i = 0; i < hunks.length - 1; i++) {
      if (applyPatch(base ?? "", { ...parsed.patch, hunks: hunks.slice(0, i + 1) }) === false) {
        failing = i;
        break;
      }
    }
    const h = hunks[failing];
    const header = `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
    throw conflict(
      `the diff does not apply to ${quote(filePath)}: hunk ${
        failing + 1
      } (${header}) does not match`,
      filePath,
      { hunk: failing + 1, hunkHeader: header },
    );
  }
  if (parsed.kind === "delete") {
    if (result !== "") {
      throw conflict(`the diff deletes ${quote(filePath)} but leaves content behind`, filePath);
    }
    return null;
  }
  return result;
}

/** A git-style diff of one file (`undefined` content = absent), relative to `state/`. */
export function formatFileDiff(
  path: string,
  oldContent: string | null | undefined,
  newContent: string | null | undefined,
): string {
  if (oldContent === null || newContent === null) {
    return `diff --git a/${path} b/${path}\nBinary files ${
      oldContent === undefined ? DEV_NULL : `a/${path}`
    } and ${newContent === undefined ? DEV_NULL : `b/${path}`} differ\n`;
  }
  const oldName = oldContent === undefined ? DEV_NULL : `a/${path}`;
  const newName = newContent === undefined ? DEV_NULL : `b/${path}`;
  const patch = boundedPatch(oldName, newName, oldContent ?? "", newContent ?? "");
  return formatPatch({
    ...patch,
    isGit: true,
    ...(oldContent === undefined ? { isCreate: true, newMode: "100644" } : {}),
    ...(newContent === undefined ? { isDelete: true, oldMode: "100644" } : {}),
  });
}

/** The patch that turns `from` into `to`, for reverting. */
export function reverseChange(path: string, from: string, to: string): FilePatch {
  return { kind: "modify", patch: boundedPatch(path, path, from, to) };
}

/**
 * A line diff that searches at most `diff.edits` edits: Myers' algorithm costs edits × lines,
 * so two very different large files would hold the event loop for seconds. Past the bound the
 * file is shown replaced whole — still a correct patch, computed in linear time.
 */
export function boundedPatch(
  oldName: string,
  newName: string,
  oldText: string,
  newText: string,
): StructuredPatch {
  const maxEditLength = LIMITS["diff.edits"];
  return structuredPatch(oldName, newName, oldText, newText, undefined, undefined, {
    maxEditLength,
  }) ?? wholeFilePatch(oldName, newName, oldText, newText);
}

function wholeFilePatch(
  oldName: string,
  newName: string,
  oldText: string,
  newText: string,
): StructuredPatch {
  const side = (text: string, sign: string) => {
    if (text === "") return [];
    const lines = text.split("\n");
    const ended = lines.at(-1) === "";
    if (ended) lines.pop();
    const out = lines.map((l) => sign + l);
    if (!ended) out.push("\\ No newline at end of file");
    return out;
  };
  const removed = side(oldText, "-"), added = side(newText, "+");
  const count = (lines: string[]) => lines.filter((l) => !l.startsWith("\\")).length;
  const [oldLines, newLines] = [count(removed), count(added)];
  return {
    oldFileName: oldName,
    newFileName: newName,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [{
      oldStart: oldLines === 0 ? 0 : 1,
      oldLines,
      newStart: newLines === 0 ? 0 : 1,
      newLines,
      lines: [...removed, ...added],
    }],
  };
}

function namesPath(name: string, prefix: string, filePath: string): boolean {
  const candidates = [name];
  if (name.startsWith(prefix)) candidates.push(name.slice(prefix.length));
  return candidates.some((c) => c === filePath || c === `${STATE_DIR}/${filePath}`);
}

function invalid(message: string, path: string): KilnError {
  return new KilnError("PATCH_INVALID", message, { path });
}

function conflict(message: string, path: string, extra: Record<string, unknown> = {}): KilnError {
  return new KilnError("PATCH_CONFLICT", message, { path, ...extra });
}
