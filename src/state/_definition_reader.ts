import { KilnError, LIMITS, quote } from "../core/mod.ts";
import { GitCorrupt } from "./_git_errors.ts";
import type { CommitInfo, DefinitionIssue, DirectoryEntry, FileContent } from "./definitions.ts";
import { normalizeDefinitionPath } from "./definition_path.ts";
import type { AppRepos } from "./_app_repos.ts";
import type { Repo } from "./_git_objects.ts";
import type { DefinitionWriter } from "./_definition_writer.ts";
import { isSpecialMode, listDirectory, listFiles, lookupPath } from "./_git_tree.ts";
import { walkHistory } from "./_history.ts";
import { stateTreeDiff } from "./_tree_diff.ts";

/** The read half of the definition store; see `GitDefinitionStore` for the contract. */
export class DefinitionReader {
  constructor(readonly repos: AppRepos, readonly writer: DefinitionWriter) {}

  /** Cached by (repo, commit, path): a hit is a few map lookups. */
  async file(appId: string, filePath: string, revision?: string): Promise<FileContent> {
    const path = normalizeDefinitionPath(filePath);
    const repo = this.repos.repo(appId);
    const commit = await this.repos.commitOf(appId, revision);
    if (commit === null) return { found: false, revision: null };
    const key = `f\0${repo.key}\0${commit}\0${path}`;
    let content = this.repos.cache.get(key) as string | null | undefined;
    if (content === undefined) {
      const tree = await this.repos.stateTree(repo, commit);
      const node = await lookupPath(this.repos.objs, repo, tree, path);
      content = node.kind === "file" ? await this.repos.text(repo, node.oid, path) : null;
      this.repos.cache.set(key, content, content === null ? 0 : content.length * 2);
    }
    return content === null
      ? { found: false, revision: commit }
      : { found: true, content, revision: commit };
  }

  async list(
    appId: string,
    directoryPath: string,
    recursive: boolean,
    revision?: string,
  ): Promise<{ entries: DirectoryEntry[]; revision: string | null }> {
    const dir = normalizeDefinitionPath(directoryPath ?? "", { allowRoot: true });
    const repo = this.repos.repo(appId);
    const commit = await this.repos.commitOf(appId, revision);
    if (commit === null) return { entries: [], revision: null };
    const tree = await this.repos.stateTree(repo, commit);
    const node = await lookupPath(this.repos.objs, repo, tree, dir);
    if (node.kind === "file") {
      throw new KilnError("BAD_REQUEST", `${quote(dir)} is a file, not a directory`, { path: dir });
    }
    if (node.kind === "none") {
      if (dir === "") return { entries: [], revision: commit };
      throw new KilnError("FILE_NOT_FOUND", `no directory ${quote(dir)} at ${commit}`, {
        path: dir,
      });
    }
    const entries = await listDirectory(this.repos.objs, repo, node.oid, dir, recursive);
    return { entries, revision: commit };
  }

  /** Every UTF-8 file under `state/`; symlinks, submodules and binary files are left out. */
  async tree(appId: string, revision: string): Promise<Map<string, string>> {
    const repo = this.repos.repo(appId);
    return await this.treeOf(repo, (await this.repos.commitOf(appId, revision, true))!);
  }

  /** {@link tree} of a commit in `repo` (an app repo, or one read through a push's quarantine). */
  async treeOf(repo: Repo, commit: string): Promise<Map<string, string>> {
    const files = await listFiles(this.repos.objs, repo, await this.repos.stateTree(repo, commit));
    const out = new Map<string, string>();
    for (const [path, entry] of files) {
      if (isSpecialMode(entry.mode)) continue;
      const text = await this.repos.objs.text(repo, entry.oid, path);
      if (text !== null) out.set(path, text);
    }
    return out;
  }

  /**
   * Problems of the tree at `revision`. A commit over `git.commit.bytes`, a tree Kiln cannot
   * walk (over budget, unsafe names, malformed objects) is one problem, not a throw, so the app
   * goes DEGRADED with the reason while its last valid revision keeps serving.
   */
  async issues(appId: string, revision: string): Promise<DefinitionIssue[]> {
    const repo = this.repos.repo(appId);
    return await this.issuesOf(repo, (await this.repos.commitOf(appId, revision, true))!);
  }

  /** {@link issues} of a commit in `repo`. */
  async issuesOf(repo: Repo, commit: string): Promise<DefinitionIssue[]> {
    try {
      const data = await this.repos.objs.commit(repo, commit);
      const maxCommit = LIMITS["git.commit.bytes"];
      if (data.size > maxCommit) {
        return [{
          path: "",
          message: `commit ${commit} is ${data.size} bytes; the limit is ${maxCommit}`,
          limit: "git.commit.bytes",
        }];
      }
      const files = await listFiles(
        this.repos.objs,
        repo,
        await this.repos.stateTree(repo, commit),
      );
      return await this.writer.treeIssues(repo, files);
    } catch (err) {
      if (err instanceof GitCorrupt) {
        return [{ path: "", message: `the revision cannot be read: ${err.message}` }];
      }
      if (!(err instanceof KilnError) || err.status >= 500) throw err;
      const limit = (err.details as { limit?: unknown } | undefined)?.limit;
      return [{ path: "", message: err.message, ...(typeof limit === "string" ? { limit } : {}) }];
    }
  }

  async history(
    appId: string,
    opts: { path?: string; limit?: number; revision?: string },
  ): Promise<CommitInfo[]> {
    const path = opts.path ? normalizeDefinitionPath(opts.path, { allowRoot: true }) : "";
    const limit = Math.max(1, Math.min(500, Math.floor(Number(opts.limit ?? 50)) || 50));
    const start = await this.repos.commitOf(appId, opts.revision);
    if (start === null) return [];
    const repo = this.repos.repo(appId);
    return await walkHistory(this.repos.objs, repo, start, { path: path || undefined, limit });
  }

  async diff(
    appId: string,
    fromRevision: string,
    toRevision: string,
    path?: string,
  ): Promise<string> {
    const scope = normalizeDefinitionPath(path ?? "", { allowRoot: true });
    const repo = this.repos.repo(appId);
    const from = (await this.repos.commitOf(appId, fromRevision, true))!;
    const to = (await this.repos.commitOf(appId, toRevision, true))!;
    const [a, b] = [await this.repos.stateTree(repo, from), await this.repos.stateTree(repo, to)];
    return await stateTreeDiff(this.repos.objs, repo, a, b, scope);
  }
}
