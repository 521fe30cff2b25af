import { type Clock, KeyedMutex, KilnError, quote } from "../core/mod.ts";
import type { WriteOptions, WriteResult } from "./definitions.ts";
import type { AppRepos } from "./_app_repos.ts";
import { commitMessage, toSignature } from "./_author.ts";
import type { BaseState, DefinitionWriter, WritePlan } from "./_definition_writer.ts";
import { MAIN_REF } from "./_git_objects.ts";
import { lookupPath, stateTreeOf } from "./_git_tree.ts";
import { compareAndSwapRef } from "./_ref_lock.ts";
import { localRepo } from "./_local_repo.ts";
import { localRefs, type RefPublisher } from "./ref_publisher.ts";

const FULL_OID = /^[0-9a-f]{40}$/;

/**
 * The one way definitions change: under the app's in-process lock, re-read the real head from
 * disk (an outside push is never overwritten), check the expected base, let the caller plan the
 * change on that base, build and validate the commit, then move the ref with the lock-file
 * compare-and-swap. A tree identical to the head's makes no commit and answers the head. In
 * cluster mode the publisher first brings the repo up to the shared head and, before the local
 * ref moves, publishes the commit there: a write that loses the shared race is a CONFLICT.
 */
export class CommitRunner {
  readonly mutex = new KeyedMutex();

  constructor(
    readonly repos: AppRepos,
    readonly writer: DefinitionWriter,
    readonly clock: Clock,
    readonly publisher: RefPublisher = localRefs,
  ) {}

  async run(
    appId: string,
    expected: string | null | undefined,
    opts: Partial<WriteOptions>,
    fallbackMessage: string,
    plan: (base: BaseState) => Promise<WritePlan>,
  ): Promise<WriteResult> {
    const repo = this.repos.repo(appId);
    const signature = toSignature(opts.author, this.clock);
    const message = commitMessage(opts.commitMessage, fallbackMessage);
    const wanted = expectedHead(expected);
    return await this.mutex.run(appId, async () => {
      const local = localRepo(this.repos, appId);
      await this.publisher.pull(local);
      const head = await this.repos.refreshHead(appId);
      if (wanted !== undefined && wanted !== head) {
        throw new KilnError(
          "CONFLICT",
          `expectedBaseRevision ${quote(expected ?? "")} is not the current head ${
            head ?? "(empty)"
          }`,
          { expectedBaseRevision: expected ?? null, currentRevision: head },
        );
      }
      const objs = this.repos.objs;
      const rootTree = head === null ? null : (await objs.commit(repo, head)).tree;
      const base = { head, rootTree, stateTree: await stateTreeOf(objs, repo, rootTree) };
      const next = await this.writer.commit(repo, base, await plan(base), signature, message);
      if (next === null) return { success: true, resultingRevision: head! };
      await this.publisher.publish(local, head, next);
      await compareAndSwapRef({
        gitdir: repo.gitdir,
        ref: MAIN_REF,
        expected: head,
        next,
        readCurrent: () => objs.headFromDisk(repo),
      });
      this.repos.setHead(appId, next);
      return { success: true, resultingRevision: next };
    });
  }

  /** The file's text at `base` (undefined if absent); folders and symlinks are refused. */
  async fileAt(appId: string, base: BaseState, path: string): Promise<string | undefined> {
    const repo = this.repos.repo(appId);
    const node = await lookupPath(this.repos.objs, repo, base.stateTree, path);
    if (node.kind === "dir") {
      throw new KilnError("BAD_REQUEST", `${quote(path)} is a directory, not a file`, { path });
    }
    return node.kind === "file" ? await this.repos.text(repo, node.oid, path) : undefined;
  }
}

/** The head a write expects: undefined = no check, null = an empty repo, else a full oid. */
function expectedHead(expected: string | null | undefined): string | null | undefined {
  if (expected === undefined) return undefined;
  if (expected === null || expected === "") return null;
  const oid = String(expected).trim().toLowerCase();
  if (!FULL_OID.test(oid)) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `expectedBaseRevision ${quote(expected)} must be a full 40-hex commit id`,
      {
        issues: [{ path: "", field: "expectedBaseRevision", message: "must be a full commit id" }],
      },
    );
  }
  return oid;
}
