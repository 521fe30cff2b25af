/**
 * The definition-state contract in §3: an app's definitions live in its own Git repository
 * and change only through validated, optimistic-concurrency commits. Paths are relative to the
 * repo's `state/` folder.
 */
import type { DefinitionIssue } from "../models/mod.ts";
import type { Adopted } from "./ref_publisher.ts";

/** `getDefinitionFileContent` answer; `revision` is the commit read (null for an empty repo). */
export interface FileContent {
  found: boolean;
  content?: string;
  revision: string | null;
}

/** The answer of every write: the new commit. Failures throw `KilnError`. */
export interface WriteResult {
  success: true;
  resultingRevision: string;
}

/** One entry of a directory listing; `path` is relative to `state/`. */
export interface DirectoryEntry {
  path: string;
  type: "file" | "directory";
}

/** A commit as shown in history. */
export interface CommitInfo {
  revision: string;
  message: string;
  author: { name: string; email: string };
  timestamp: string;
  parents: string[];
}

/** Who a commit is from: `"Name <email>"` or an object; defaults to Kiln itself. */
export type Author = string | { name: string; email: string };

export type { DefinitionIssue };

/** Options common to every write. */
export interface WriteOptions {
  commitMessage: string;
  author?: Author;
}

/** The definition half of the state manager (contract §3). */
export interface DefinitionStore {
  /** The current head of the app's `main` branch, or null when the repo has no commit yet. */
  head(appId: string): Promise<string | null>;
  /** Re-reads the branch head from disk (after an outside `git push`); returns it. */
  refreshHead(appId: string): Promise<string | null>;
  getDefinitionFileContent(
    appId: string,
    filePath: string,
    revision?: string,
  ): Promise<FileContent>;
  applyDefinitionDiff(
    appId: string,
    filePath: string,
    diffContent: string,
    expectedBaseRevision: string,
    opts: WriteOptions,
  ): Promise<WriteResult>;
  setDefinitionFileContent(
    appId: string,
    filePath: string,
    content: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult>;
  deleteDefinitionFile(
    appId: string,
    filePath: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult>;
  listDefinitionDirectory(
    appId: string,
    directoryPath: string,
    recursive?: boolean,
    revision?: string,
  ): Promise<{ entries: DirectoryEntry[]; revision: string | null }>;
  history(
    appId: string,
    opts?: { path?: string; limit?: number; revision?: string },
  ): Promise<CommitInfo[]>;
  /** A unified diff between two revisions, optionally of one path. */
  diff(appId: string, fromRevision: string, toRevision: string, path?: string): Promise<string>;
  /** A new commit undoing `revision` on top of the head (like `git revert`); CONFLICT if it can't. */
  revert(
    appId: string,
    revision: string,
    expectedBaseRevision: string | undefined,
    opts: Partial<WriteOptions>,
  ): Promise<WriteResult>;
  /** Writes several files in one validated commit (generated JIT artifacts). */
  setDefinitionFiles(
    appId: string,
    files: ReadonlyMap<string, string>,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult>;
  /** Replaces the whole `state/` tree in one validated commit (registration and update). */
  replaceTree(
    appId: string,
    files: ReadonlyMap<string, string>,
    expectedBaseRevision: string | null | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult>;
  /** Every validation problem in the tree at `revision` (empty when the revision is servable). */
  validateRevision(appId: string, revision: string): Promise<DefinitionIssue[]>;
  /** All files under `state/` at `revision`, for loading an app's definitions at once. */
  readTree(appId: string, revision: string): Promise<Map<string, string>>;
  /** Creates the bare repo if it does not exist. */
  ensureRepo(appId: string): Promise<void>;
  /** The repo's directory on disk, for stock `git clone`. */
  repoPath(appId: string): string;
  deleteRepo(appId: string): Promise<void>;
  repoExists(appId: string): Promise<boolean>;
  /** Brings the repo (created if missing) up to the shared head (cluster mode); its head. */
  pull(appId: string): Promise<string | null>;
  /** After an outside ref move (a push): publishes it, or puts the shared head back. */
  adopt(appId: string): Promise<Adopted>;
  /** Deletes the app's shared head and objects (cluster mode; nothing on one node). */
  dropShared(appId: string): Promise<void>;
}
