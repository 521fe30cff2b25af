import { KilnError, quote } from "../core/mod.ts";
import { GitObjects, type Repo } from "./_git_objects.ts";
import { ObjectReader } from "./_object_reader.ts";
import { stateTreeOf } from "./_git_tree.ts";
import { ByteLru } from "./_lru.ts";
import { configureRepo, type PushHookSetup, repoDirExists } from "./_repo_init.ts";

const APP_ID = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * The app repositories under `<dataDir>/apps/`: handles, the in-memory head of each (what reads
 * without a revision serve until `refreshHead`) and revision resolution. A deleted repo gets a
 * new cache key when recreated, so nothing cached for the old one is ever served.
 */
export class AppRepos {
  readonly cache: ByteLru<unknown>;
  readonly objs: GitObjects;
  readonly #appsDir: string;
  readonly #heads = new Map<string, string | null>();
  readonly #repos = new Map<string, Repo>();
  readonly #configured = new Set<string>();
  #generation = 0;

  constructor(dataDir: string, cacheBytes: number, readonly pushHook?: PushHookSetup) {
    this.#appsDir = `${dataDir.replace(/\/+$/, "")}/apps`;
    this.cache = new ByteLru(cacheBytes);
    this.objs = new GitObjects(this.cache);
  }

  path(appId: string): string {
    if (typeof appId !== "string" || !APP_ID.test(appId)) {
      throw new KilnError("VALIDATION_ERROR", `invalid appId ${quote(appId)}`, {
        issues: [{ path: "", field: "appId", message: `must match ${APP_ID.source}` }],
      });
    }
    return `${this.#appsDir}/${appId}.git`;
  }

  repo(appId: string): Repo {
    let repo = this.#repos.get(appId);
    if (repo === undefined) {
      const gitdir = this.path(appId);
      repo = {
        appId,
        gitdir,
        key: `${appId}#${++this.#generation}`,
        reader: new ObjectReader(gitdir),
      };
      this.#repos.set(appId, repo);
    }
    return repo;
  }

  /** Forgets a repo that is being deleted. */
  forget(appId: string): void {
    this.#repos.delete(appId);
    this.#heads.delete(appId);
  }

  clearCache(): void {
    this.cache.clear();
    for (const repo of this.#repos.values()) repo.reader = new ObjectReader(repo.gitdir);
  }

  async head(appId: string): Promise<string | null> {
    const known = this.#heads.get(appId);
    return known !== undefined ? known : await this.refreshHead(appId);
  }

  async refreshHead(appId: string): Promise<string | null> {
    const repo = this.repo(appId);
    if (!(await repoDirExists(repo.gitdir))) {
      this.#heads.delete(appId);
      throw new KilnError("APP_NOT_FOUND", `no repository for app ${quote(appId)}`, { appId });
    }
    if (!this.#configured.has(repo.key)) {
      // A repo from an older Kiln gets today's receive limits and hook when first opened.
      await configureRepo(repo.gitdir, this.pushHook);
      this.#configured.add(repo.key);
    }
    const head = await this.objs.headFromDisk(repo);
    this.#heads.set(appId, head);
    return head;
  }

  /** Records a head Kiln just committed. */
  setHead(appId: string, head: string): void {
    this.#heads.set(appId, head);
  }

  /**
   * The commit a read addresses: the in-memory head when no revision is given (null for an
   * empty repo, or REVISION_NOT_FOUND when `must`), else the resolved revision.
   */
  async commitOf(appId: string, revision?: string, must = false): Promise<string | null> {
    const head = await this.head(appId);
    if (revision === undefined || revision === "") {
      if (head === null && must) {
        throw new KilnError("REVISION_NOT_FOUND", "the repository is empty");
      }
      return head;
    }
    return await this.objs.resolve(this.repo(appId), revision);
  }

  /** The `state/` tree of a commit. */
  async stateTree(repo: Repo, commit: string): Promise<string | null> {
    return await stateTreeOf(this.objs, repo, (await this.objs.commit(repo, commit)).tree);
  }

  /** A blob's text; a binary file is UNSUPPORTED_MEDIA_TYPE. */
  async text(repo: Repo, oid: string, path: string): Promise<string> {
    const text = await this.objs.text(repo, oid, path);
    if (text === null) {
      throw new KilnError("UNSUPPORTED_MEDIA_TYPE", `${quote(path)} is not UTF-8 text`, { path });
    }
    return text;
  }
}
