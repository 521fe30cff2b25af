import { isoGit } from "./_isogit.ts";
import { KilnError, limitExceeded, LIMITS, quote, Slicer } from "../core/mod.ts";
import { nodeFs } from "../core/node/mod.ts";
import type { DefinitionIssue } from "./definitions.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";
import { definitionKind, validateDefinitionFile } from "./validate_definition.ts";
import type { DefinitionCheckers } from "./definition_checkers.ts";
import { referenceIssues, referenceSources, scriptPaths } from "./_definition_refs.ts";
import { parseYamlAsync } from "./_parse_definition.ts";
import { utf8Length, writeLooseObject } from "./_object_codec.ts";
import type { GitObjects, Repo, Signature } from "./_git_objects.ts";
import {
  type FileEntry,
  isSpecialMode,
  listFiles,
  withStateTree,
  writeTreeChanges,
} from "./_git_tree.ts";

/** The commit a write builds on. */
export interface BaseState {
  head: string | null;
  rootTree: string | null;
  stateTree: string | null;
}

/** A new file content, an existing blob to put back, or null to delete. */
export type FileChange = { content: string } | { entry: FileEntry } | null;

/** What a write does: change some files, or replace the whole `state/` tree. */
export type WritePlan =
  | { kind: "changes"; changes: ReadonlyMap<string, FileChange> }
  | { kind: "replace"; files: ReadonlyMap<string, string> };

const ENCODER = new TextEncoder();
const TEXT_FILE = /\.(ya?ml|json)$/;
const YAML_FILE = /\.ya?ml$/;

/**
 * Builds commits: blobs, the trees along the changed paths and the commit object, after
 * validating the result. Nothing here moves a ref, so an invalid or conflicting write leaves
 * only unreferenced objects behind.
 */
export class DefinitionWriter {
  constructor(
    readonly objs: GitObjects,
    readonly maxFileBytes: number,
    readonly checkers: DefinitionCheckers = {},
  ) {}

  /** Refuses content over the size limit with PAYLOAD_TOO_LARGE; returns its bytes. */
  encode(path: string, content: string): Uint8Array {
    this.checkSize(path, content);
    return ENCODER.encode(content);
  }

  /** Refuses content over the size limit with PAYLOAD_TOO_LARGE; ASCII text is not encoded. */
  checkSize(path: string, content: string): void {
    if (typeof content !== "string") {
      throw new KilnError("VALIDATION_ERROR", `content of ${quote(path)} must be a string`);
    }
    // UTF-8 takes at least a byte for each UTF-16 unit.
    if (content.length > this.maxFileBytes) this.#tooLarge(path, content.length);
    const size = utf8Length(content);
    if (size > this.maxFileBytes) this.#tooLarge(path, size);
  }

  /** Writes and validates the commit for `plan` on `base`; null when the tree would not change. */
  async commit(
    repo: Repo,
    base: BaseState,
    plan: WritePlan,
    signature: Signature,
    message: string,
  ): Promise<string | null> {
    const baseFiles = await listFiles(this.objs, repo, base.stateTree);
    const entries = new Map<string, FileEntry | null>();
    const texts = new Map<string, string>();
    const changes: Iterable<[string, FileChange]> = plan.kind === "replace"
      ? [...plan.files].map(([p, content]) => [normalizeDefinitionPath(p), { content }])
      : plan.changes;
    // New contents are checked before anything is written: a file over a budget costs no blob,
    // and the issues found are cached for the full validation below.
    const early = new Map<string, DefinitionIssue[]>();
    // Megabyte files are worked one at a time, with the event loop's turn between them.
    const slicer = new Slicer();
    for (const [path, change] of changes) {
      if (change === null || "entry" in change) continue;
      await slicer.pause();
      this.checkSize(path, change.content);
      const issues = await this.#validate(repo, path, change.content);
      const over = issues.find((i) => i.limit);
      if (over) {
        throw limitExceeded(over.limit!, `${quote(path)} is over budget: ${over.message}`, {
          path,
          issues,
        });
      }
      early.set(path, issues);
    }
    for (const [path, change] of changes) {
      if (change === null || "entry" in change) {
        entries.set(path, change === null ? null : change.entry);
        continue;
      }
      await slicer.pause();
      const blob = this.encode(path, change.content);
      const oid = await writeLooseObject(repo.gitdir, "blob", blob);
      // The budget checks below take its size from the header, not by encoding the text again.
      this.objs.remember(repo, oid, { type: "blob", size: blob.length });
      const old = baseFiles.get(path)?.mode;
      entries.set(path, { oid, mode: old === "100755" ? old : "100644" });
      texts.set(path, change.content);
      const issues = early.get(path)!;
      this.objs.cache.set(issuesKey(repo, path, oid), issues, issuesCost(issues));
    }
    const stateTree = await writeTreeChanges(
      this.objs,
      repo,
      plan.kind === "replace" ? null : base.stateTree,
      entries,
    );
    const rootTree = await withStateTree(this.objs, repo, base.rootTree, stateTree);
    if (rootTree === base.rootTree) return null;
    const files = plan.kind === "replace" ? new Map<string, FileEntry>() : new Map(baseFiles);
    for (const [path, entry] of entries) {
      entry === null ? files.delete(path) : files.set(path, entry);
    }
    const issues = plan.kind === "replace"
      ? await this.treeIssues(repo, files, texts)
      : await this.#changeIssues(repo, baseFiles, files, entries, texts);
    if (issues.length > 0) {
      const over = issues.find((i) => i.limit);
      if (over) {
        throw limitExceeded(over.limit!, `${quote(over.path)} is over budget: ${over.message}`, {
          path: over.path,
          issues,
        });
      }
      const first = issues[0];
      throw new KilnError(
        "VALIDATION_ERROR",
        `${quote(first.path)} is invalid${
          first.field ? ` at ${first.field}` : ""
        }: ${first.message}`,
        { issues },
      );
    }
    if (plan.kind === "changes") {
      await this.#refuseBuildingOnInvalid(repo, base, baseFiles, files, texts);
    }
    return await (await isoGit()).writeCommit({
      fs: nodeFs(),
      gitdir: repo.gitdir,
      commit: {
        tree: rootTree,
        parent: base.head === null ? [] : [base.head],
        author: signature,
        committer: signature,
        message,
      },
    });
  }

  /**
   * A change is checked against its base, so problems the head already had are not blamed on
   * it; but a write must not silently build on a head that is itself invalid (an outside push,
   * or rules that changed): CONFLICT with the head's problems, unless the write fixes some of
   * them (one file at a time is a way back).
   */
  async #refuseBuildingOnInvalid(
    repo: Repo,
    base: BaseState,
    before: ReadonlyMap<string, FileEntry>,
    after: ReadonlyMap<string, FileEntry>,
    texts: ReadonlyMap<string, string>,
  ): Promise<void> {
    if (base.head === null) return;
    const headIssues = await this.treeIssues(repo, before);
    if (headIssues.length === 0) return;
    const remaining = new Set((await this.treeIssues(repo, after, new Map(texts))).map(issueKey));
    if (headIssues.some((i) => !remaining.has(issueKey(i)))) return;
    const first = headIssues[0];
    throw new KilnError(
      "CONFLICT",
      `the head ${base.head} is invalid (${quote(first.path)}${
        first.field ? ` at ${first.field}` : ""
      }: ${first.message}) and this write fixes none of its problems`,
      { currentRevision: base.head, issues: headIssues },
    );
  }

  /** Every problem of a whole tree: budgets, each file, symlinks, cross-file references. */
  async treeIssues(
    repo: Repo,
    files: ReadonlyMap<string, FileEntry>,
    known = new Map<string, string>(),
  ): Promise<DefinitionIssue[]> {
    const issues = await this.#stateIssues(repo, files);
    if (issues.length > 0) return issues;
    const slicer = new Slicer();
    for (const [path, entry] of files) {
      await slicer.pause();
      issues.push(...await this.fileIssues(repo, path, entry, known.get(path)));
    }
    // A file over budget is not read again to follow its references.
    if (issues.some((i) => i.limit)) return issues;
    issues.push(...await this.#referenceIssues(repo, files, known));
    return issues;
  }

  /**
   * One file's problems, cached by (path, blob) since blobs never change. The path must be one
   * Kiln would accept from the API (a pushed tree gets no other rules), and the blob's size is
   * checked from its header before a byte of it is read.
   */
  async fileIssues(
    repo: Repo,
    path: string,
    entry: FileEntry,
    known?: string,
  ): Promise<DefinitionIssue[]> {
    if (isSpecialMode(entry.mode)) {
      return [{ path, message: "symlinks and submodules are not allowed in state/" }];
    }
    const key = issuesKey(repo, path, entry.oid);
    const hit = this.objs.cache.get(key) as DefinitionIssue[] | undefined;
    if (hit) return hit;
    let issues: DefinitionIssue[];
    const size = (await this.objs.header(repo, entry.oid)).size;
    const badPath = pathProblem(path);
    if (badPath) {
      issues = [{ path, message: badPath }];
    } else if (size > this.maxFileBytes) {
      issues = [{
        path,
        message: `the file is ${size} bytes; the limit is ${this.maxFileBytes}`,
        limit: "definition.bytes",
      }];
    } else {
      const content = known ?? await this.objs.text(repo, entry.oid, path);
      issues = content === null
        ? (TEXT_FILE.test(path) ? [{ path, message: "the file is not UTF-8 text" }] : [])
        : await this.#validate(repo, path, content);
    }
    this.objs.cache.set(key, issues, issuesCost(issues));
    return issues;
  }

  /** One file's content checks; YAML is parsed with its budget pass in event-loop slices. */
  async #validate(repo: Repo, path: string, content: string): Promise<DefinitionIssue[]> {
    const yaml = YAML_FILE.test(path) ? await parseYamlAsync(path, content) : undefined;
    const kind = definitionKind(path);
    if (kind) await this.checkers.ready?.(kind);
    return validateDefinitionFile(repo.appId, path, content, { yaml, checkers: this.checkers });
  }

  /** The whole state's budgets: files, folder depth, total bytes (from blob headers). */
  async #stateIssues(
    repo: Repo,
    files: ReadonlyMap<string, FileEntry>,
  ): Promise<DefinitionIssue[]> {
    const maxFiles = LIMITS["git.state.files"], maxDepth = LIMITS["git.state.depth"];
    if (files.size > maxFiles) {
      const message = `state/ holds ${files.size} files; the limit is ${maxFiles}`;
      return [{ path: "", message, limit: "git.state.files" }];
    }
    let bytes = 0;
    const oversized: DefinitionIssue[] = [];
    const slicer = new Slicer();
    for (const [path, entry] of files) {
      await slicer.pause();
      if (path.split("/").length > maxDepth) {
        const message = `the path nests deeper than ${maxDepth} folders`;
        return [{ path, message, limit: "git.state.depth" }];
      }
      const size = (await this.objs.header(repo, entry.oid)).size;
      if (size > this.maxFileBytes) {
        const message = `the file is ${size} bytes; the limit is ${this.maxFileBytes}`;
        oversized.push({ path, message, limit: "definition.bytes" });
      }
      bytes += size;
    }
    // The files to blame come first: they are what the author can fix.
    if (oversized.length > 0) return oversized;
    const maxBytes = LIMITS["git.state.bytes"];
    if (bytes > maxBytes) {
      const message = `state/ holds ${bytes} bytes; the limit is ${maxBytes}`;
      return [{ path: "", message, limit: "git.state.bytes" }];
    }
    return [];
  }

  async #changeIssues(
    repo: Repo,
    before: ReadonlyMap<string, FileEntry>,
    after: ReadonlyMap<string, FileEntry>,
    entries: ReadonlyMap<string, FileEntry | null>,
    texts: ReadonlyMap<string, string>,
  ): Promise<DefinitionIssue[]> {
    const issues = await this.#stateIssues(repo, after);
    if (issues.length > 0) return issues;
    const slicer = new Slicer();
    for (const [path, entry] of entries) {
      await slicer.pause();
      if (entry !== null) issues.push(...await this.fileIssues(repo, path, entry, texts.get(path)));
    }
    if (issues.some((i) => i.limit)) return issues;
    const old = new Set((await this.#referenceIssues(repo, before, new Map())).map(issueKey));
    const now = await this.#referenceIssues(repo, after, texts);
    return [...issues, ...now.filter((i) => !old.has(issueKey(i)))];
  }

  async #referenceIssues(
    repo: Repo,
    files: ReadonlyMap<string, FileEntry>,
    known: ReadonlyMap<string, string>,
  ): Promise<DefinitionIssue[]> {
    const regular = [...files].filter(([, e]) => !isSpecialMode(e.mode)).map(([p]) => p);
    const values = new Map<string, unknown>();
    for (const path of referenceSources(regular)) {
      const oid = files.get(path)!.oid;
      const key = `y\0${repo.key}\0${oid}`;
      let hit = this.objs.cache.get(key) as { value: unknown } | undefined;
      if (hit === undefined) {
        const text = known.get(path) ?? await this.objs.text(repo, oid);
        hit = { value: text === null ? undefined : (await parseYamlAsync(path, text)).value };
        this.objs.cache.set(key, hit, (text?.length ?? 0) * 4);
      }
      values.set(path, hit.value);
    }
    const scripts = new Map<string, string>();
    for (const path of scriptPaths(values.get("component_registry.yaml"))) {
      const entry = files.get(path);
      if (!entry || isSpecialMode(entry.mode)) continue;
      const text = known.get(path) ?? await this.objs.text(repo, entry.oid, path).catch(() => null);
      if (text !== null) scripts.set(path, text);
    }
    return referenceIssues(regular, (p) => values.get(p), (p) => scripts.get(p));
  }

  #tooLarge(path: string, size: number): never {
    throw new KilnError(
      "PAYLOAD_TOO_LARGE",
      `${quote(path)} is ${size} bytes; the limit is ${this.maxFileBytes} (definition.bytes)`,
      { path, size, limit: "definition.bytes", max: this.maxFileBytes },
    );
  }
}

function issuesKey(repo: Repo, path: string, oid: string): string {
  return `v\0${repo.key}\0${path}\0${oid}`;
}

function issuesCost(issues: DefinitionIssue[]): number {
  return 200 + JSON.stringify(issues).length * 2;
}

/** Why a path in a tree would be refused from the API, or null when it is fine. */
function pathProblem(path: string): string | null {
  try {
    return normalizeDefinitionPath(path) === path ? null : "the path is not in canonical form";
  } catch (err) {
    if (err instanceof KilnError) return err.message;
    throw err;
  }
}

function issueKey(i: DefinitionIssue): string {
  return `${i.path}\0${i.field ?? ""}\0${i.message}`;
}
