import { KilnError, LIMITS } from "../core/mod.ts";
import type { AppRepos } from "./_app_repos.ts";
import type { DefinitionReader } from "./_definition_reader.ts";
import type { DefinitionIssue } from "./definitions.ts";
import { GitMissing } from "./_git_errors.ts";
import type { Repo } from "./_git_objects.ts";
import { listFiles, STATE_DIR } from "./_git_tree.ts";
import { ObjectReader } from "./_object_reader.ts";
import { storeObject } from "./_object_codec.ts";
import type { PushedObjects } from "./push_gate.ts";

/**
 * A push's objects read through its quarantine (see `GitDefinitionStore.pushedObjects`). Each
 * push gets its own cache key: nothing read through it outlives the push under the repo's key.
 */
export async function quarantinedObjects(
  repos: AppRepos,
  reader: DefinitionReader,
  appId: string,
  dirs: readonly string[],
): Promise<PushedObjects> {
  const gitdir = repos.path(appId);
  const objects = await Deno.realPath(`${gitdir}/objects`);
  const real: string[] = [];
  for (const dir of dirs) {
    const path = await Deno.realPath(dir).catch(() => null);
    if (path === null || (path !== objects && !path.startsWith(`${objects}/`))) {
      throw new KilnError("FORBIDDEN", "object directories must lie in the app's repository", {
        appId,
      });
    }
    real.push(path);
  }
  if (!real.includes(objects)) real.push(objects);
  const repo: Repo = {
    appId,
    gitdir,
    key: `${appId}#push-${crypto.randomUUID()}`,
    reader: new ObjectReader(gitdir, real),
  };
  const max = reader.writer.maxFileBytes;
  return {
    dirs: real,
    async readObject(oid) {
      try {
        const { type, data } = await repo.reader.read(
          oid,
          LIMITS["git.object.bytes"],
          () => new KilnError("PAYLOAD_TOO_LARGE", `object ${oid} is over git.object.bytes`),
        );
        return (await storeObject(type, data)).deflated;
      } catch (err) {
        if (err instanceof GitMissing) return null;
        throw err;
      }
    },
    async issues(commit) {
      const issues = await reader.issuesOf(repo, commit);
      return issues.length > 0 ? issues : await outsideState(repo, repos, commit, max);
    },
    readTree: (commit) => reader.treeOf(repo, commit),
  };
}

/** A submodule's entry names a commit of another repository. */
const GITLINK = "160000";

/**
 * Files beside `state/` are kept, never read, but they are held to the same size as a
 * definition: one size policy for every path into the repo.
 */
async function outsideState(
  repo: Repo,
  repos: AppRepos,
  commit: string,
  max: number,
): Promise<DefinitionIssue[]> {
  const objs = repos.objs;
  const issues: DefinitionIssue[] = [];
  try {
    for (const entry of await objs.tree(repo, (await objs.commit(repo, commit)).tree)) {
      if (entry.path === STATE_DIR || entry.mode === GITLINK) continue;
      const files = entry.type === "tree"
        ? [...await listFiles(objs, repo, entry.oid)].filter(([, e]) => e.mode !== GITLINK)
          .map(([p, e]) => [`${entry.path}/${p}`, e.oid])
        : [[entry.path, entry.oid]];
      for (const [path, oid] of files) {
        const { size } = await objs.header(repo, oid);
        if (size > max) {
          issues.push({
            path: "",
            message: `/${path} (outside state/) is ${size} bytes; the limit is ${max}`,
            limit: "definition.bytes",
          });
        }
      }
    }
  } catch (err) {
    if (!(err instanceof KilnError) || err.status >= 500) throw err;
    issues.push({ path: "", message: err.message });
  }
  return issues;
}
