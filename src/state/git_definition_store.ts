import { type Clock, KilnError, quote, removeTree, Slicer, systemClock } from "../core/mod.ts";
import type {
  CommitInfo,
  DefinitionIssue,
  DefinitionStore,
  DirectoryEntry,
  FileContent,
  WriteOptions,
  WriteResult,
} from "./definitions.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";
import { AppRepos } from "./_app_repos.ts";
import { DefinitionReader } from "./_definition_reader.ts";
import { CommitRunner } from "./_commit_runner.ts";
import { DefinitionWriter, type WritePlan } from "./_definition_writer.ts";
import type { DefinitionCheckers } from "./definition_checkers.ts";
import { applyFilePatch, parseFilePatch } from "./_patch.ts";
import { initBareRepo, type PushHookSetup, readPushHookFile, repoDirExists } from "./_repo_init.ts";
import type { PushedObjects } from "./push_gate.ts";
import { quarantinedObjects } from "./_quarantine.ts";
import { ObjectReader } from "./_object_reader.ts";
import { planRevert } from "./_revert.ts";
import { localRepo } from "./_local_repo.ts";
import { type Adopted, localRefs, type RefPublisher } from "./ref_publisher.ts";

/**
 * Definition state in one bare Git repository per app (contract §3, ADR 0002): commits are built
 * with isomorphic-git without a worktree, validated, and published with Git's ref lock so stock
 * `git push` interoperates. Reads go through a byte-bounded cache keyed by commit and path, and
 * each app's head is kept in memory until `refreshHead` (writes always re-read it from disk).
 */
export class GitDefinitionStore implements DefinitionStore {
  readonly #repos: AppRepos;
  readonly #writer: DefinitionWriter;
  readonly #reader: DefinitionReader;
  readonly #commits: CommitRunner;
  /** Heads this node published through its push gate, until its repo watcher adopts them. */
  readonly #pushed = new Map<string, string>();

  constructor(opts: {
    dataDir: string;
    clock?: Clock;
    maxFileBytes?: number;
    cacheBytes?: number;
    /** The checks of the layers above, run on every commit (`kiln.ts` hands the workflow one). */
    checkers?: DefinitionCheckers;
    /** Makes every repo's `pre-receive` hook ask this Kiln (see `PushGate`). */
    pushHook?: PushHookSetup;
    /** Where commits are published before the local ref moves (cluster mode's shared head). */
    publisher?: RefPublisher;
  }) {
    this.#repos = new AppRepos(opts.dataDir, opts.cacheBytes ?? 32 * 1024 * 1024, opts.pushHook);
    this.#writer = new DefinitionWriter(
      this.#repos.objs,
      opts.maxFileBytes ?? 1024 * 1024,
      opts.checkers,
    );
    this.#reader = new DefinitionReader(this.#repos, this.#writer);
    this.#commits = new CommitRunner(
      this.#repos,
      this.#writer,
      opts.clock ?? systemClock,
      opts.publisher ?? localRefs,
    );
  }

  /** Brings the app's repo (created if missing) up to the shared head; a no-op on one node. */
  async pull(appId: string): Promise<string | null> {
    const gitdir = this.#repos.path(appId);
    return await this.#commits.mutex.run(appId, async () => {
      if (this.#commits.publisher === localRefs) return await this.#repos.refreshHead(appId);
      await initBareRepo(gitdir);
      await this.#commits.publisher.pull(localRepo(this.#repos, appId));
      return await this.#repos.refreshHead(appId);
    });
  }

  /** After the repo's ref moved outside Kiln (a push): publishes it, or restores the shared head. */
  async adopt(appId: string): Promise<Adopted> {
    return await this.#commits.mutex.run(appId, async () => {
      const adopted = await this.#commits.publisher.adopt(localRepo(this.#repos, appId));
      const head = await this.#repos.refreshHead(appId);
      // A push this node published through its gate is this node's to validate and record.
      if (head !== null && this.#pushed.get(appId) === head) {
        this.#pushed.delete(appId);
        return "published";
      }
      return adopted;
    });
  }

  repoPath(appId: string): string {
    return this.#repos.path(appId);
  }

  async repoExists(appId: string): Promise<boolean> {
    return await repoDirExists(this.#repos.path(appId));
  }

  async ensureRepo(appId: string): Promise<void> {
    const gitdir = this.#repos.path(appId);
    await this.#commits.mutex.run(appId, () => initBareRepo(gitdir, this.#repos.pushHook));
  }

  async deleteRepo(appId: string): Promise<void> {
    const gitdir = this.#repos.path(appId);
    await this.#commits.mutex.run(appId, async () => {
      this.#repos.forget(appId);
      await removeTree(gitdir);
    });
  }

  /**
   * Whether `secret` is the one in the app repo's hook file (compared in constant time), so
   * only a hook of that repo, or its owner, may ask Kiln about a push.
   */
  async verifyPushSecret(appId: string, secret: string): Promise<boolean> {
    const file = await readPushHookFile(this.#repos.path(appId));
    if (!file || typeof secret !== "string") return false;
    const [a, b] = [new TextEncoder().encode(file.secret), new TextEncoder().encode(secret)];
    let diff = a.length ^ b.length;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i % Math.max(1, b.length)] ?? 0);
    return diff === 0;
  }

  /**
   * A push's objects while Git holds them in quarantine. `dirs` must lie in the repo's object
   * directory (the quarantine is `objects/tmp_objdir-incoming-*`); anything else is refused.
   */
  async pushedObjects(appId: string, dirs: readonly string[]): Promise<PushedObjects> {
    return await quarantinedObjects(this.#repos, this.#reader, appId, dirs);
  }

  /**
   * Makes a push's `next` the shared head if it still is `expected` (cluster mode), reading the
   * push's objects from its quarantine: a push that lost to another node's write is refused
   * before Git accepts it (CONFLICT). Single node this does nothing; the ref lock decides.
   */
  async publishPush(
    appId: string,
    objects: PushedObjects,
    expected: string | null,
    next: string,
  ): Promise<void> {
    if (this.#commits.publisher === localRefs) return;
    const reader = new ObjectReader(this.#repos.path(appId), objects.dirs);
    await this.#commits.publisher.publish(localRepo(this.#repos, appId, reader), expected, next);
    this.#pushed.set(appId, next);
  }

  /** Deletes the app's shared head and objects too (cluster mode), then its repo. */
  async dropShared(appId: string): Promise<void> {
    await this.#commits.publisher.drop(appId);
  }

  /** Drops every cached object and file content (for benchmarks and memory pressure). */
  clearCache(): void {
    this.#repos.clearCache();
  }

  head(appId: string): Promise<string | null> {
    return this.#repos.head(appId);
  }

  refreshHead(appId: string): Promise<string | null> {
    return this.#repos.refreshHead(appId);
  }

  getDefinitionFileContent(
    appId: string,
    filePath: string,
    revision?: string,
  ): Promise<FileContent> {
    return this.#reader.file(appId, filePath, revision);
  }

  listDefinitionDirectory(
    appId: string,
    directoryPath: string,
    recursive = false,
    revision?: string,
  ): Promise<{ entries: DirectoryEntry[]; revision: string | null }> {
    return this.#reader.list(appId, directoryPath, recursive, revision);
  }

  readTree(appId: string, revision: string): Promise<Map<string, string>> {
    return this.#reader.tree(appId, revision);
  }

  validateRevision(appId: string, revision: string): Promise<DefinitionIssue[]> {
    return this.#reader.issues(appId, revision);
  }

  history(
    appId: string,
    opts: { path?: string; limit?: number; revision?: string } = {},
  ): Promise<CommitInfo[]> {
    return this.#reader.history(appId, opts);
  }

  diff(appId: string, fromRevision: string, toRevision: string, path?: string): Promise<string> {
    return this.#reader.diff(appId, fromRevision, toRevision, path);
  }

  async applyDefinitionDiff(
    appId: string,
    filePath: string,
    diffContent: string,
    expectedBaseRevision: string,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const path = normalizeDefinitionPath(filePath);
    if (typeof diffContent !== "string" || diffContent.length > 4 * this.#writer.maxFileBytes) {
      throw new KilnError("PAYLOAD_TOO_LARGE", `the diff for ${quote(path)} is too large`, {
        path,
      });
    }
    const parsed = parseFilePatch(diffContent, path);
    return await this.#commits.run(
      appId,
      expectedBaseRevision ?? "",
      opts,
      `Update ${path}`,
      async (b) => {
        const next = applyFilePatch(parsed, await this.#commits.fileAt(appId, b, path), path);
        return {
          kind: "changes",
          changes: new Map([[path, next === null ? null : { content: next }]]),
        };
      },
    );
  }

  async setDefinitionFileContent(
    appId: string,
    filePath: string,
    content: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const path = normalizeDefinitionPath(filePath);
    this.#writer.checkSize(path, content);
    return await this.#commits.run(
      appId,
      expectedBaseRevision,
      opts,
      `Update ${path}`,
      async (base) => {
        await this.#commits.fileAt(appId, base, path);
        return { kind: "changes", changes: new Map([[path, { content }]]) };
      },
    );
  }

  async setDefinitionFiles(
    appId: string,
    files: ReadonlyMap<string, string>,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const changes = new Map<string, { content: string }>();
    for (const [filePath, content] of files) {
      const path = normalizeDefinitionPath(filePath);
      this.#writer.checkSize(path, content);
      changes.set(path, { content });
    }
    return await this.#commits.run(
      appId,
      expectedBaseRevision,
      opts,
      `Update ${files.size} files`,
      () => Promise.resolve({ kind: "changes", changes }),
    );
  }

  async deleteDefinitionFile(
    appId: string,
    filePath: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const path = normalizeDefinitionPath(filePath);
    return await this.#commits.run(
      appId,
      expectedBaseRevision,
      opts,
      `Delete ${path}`,
      async (base) => {
        if ((await this.#commits.fileAt(appId, base, path)) === undefined) {
          const at = base.head ?? "(empty)";
          throw new KilnError("FILE_NOT_FOUND", `no file ${quote(path)} at ${at}`, {
            path,
            revision: base.head,
          });
        }
        return { kind: "changes", changes: new Map([[path, null]]) };
      },
    );
  }

  async revert(
    appId: string,
    revision: string,
    expectedBaseRevision: string | undefined,
    opts: Partial<WriteOptions>,
  ): Promise<WriteResult> {
    const repo = this.#repos.repo(appId);
    const oid = (await this.#repos.commitOf(appId, revision, true))!;
    const target = await this.#repos.objs.commit(repo, oid);
    const subject = target.message.split("\n")[0];
    const fallback = `Revert "${subject}"\n\nThis reverts commit ${target.oid}.`;
    return await this.#commits.run(appId, expectedBaseRevision, opts, fallback, async (base) => ({
      kind: "changes",
      changes: await planRevert(this.#repos.objs, repo, target, base.stateTree),
    }));
  }

  async replaceTree(
    appId: string,
    files: ReadonlyMap<string, string>,
    expectedBaseRevision: string | null | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    // Megabyte files are measured one at a time, with the event loop's turn between them.
    const slicer = new Slicer();
    for (const [path, content] of files) {
      await slicer.pause();
      this.#writer.checkSize(normalizeDefinitionPath(path), content);
    }
    const plan: WritePlan = { kind: "replace", files };
    return await this.#commits.run(
      appId,
      expectedBaseRevision,
      opts,
      "Replace definitions",
      () => Promise.resolve(plan),
    );
  }
}
