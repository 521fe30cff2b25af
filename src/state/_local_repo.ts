import { LIMITS } from "../core/mod.ts";
import type { AppRepos } from "./_app_repos.ts";
import { GitCorrupt, GitMissing } from "./_git_errors.ts";
import { MAIN_REF } from "./_git_objects.ts";
import type { ObjectReader } from "./_object_reader.ts";
import { writeLooseObject } from "./_object_codec.ts";
import { compareAndSwapRef } from "./_ref_lock.ts";
import type { LocalRepo } from "./ref_publisher.ts";

/**
 * The `LocalRepo` of one app's bare repo under `<dataDir>/apps/`. `reader` reads objects from
 * elsewhere too (a push's quarantine), so a push can be published before Git accepts it.
 */
export function localRepo(repos: AppRepos, appId: string, reader?: ObjectReader): LocalRepo {
  const repo = () => repos.repo(appId);
  const objects = () => reader ?? repo().reader;
  return {
    appId,
    async read(oid) {
      try {
        return await objects().read(
          oid,
          LIMITS["git.object.bytes"],
          (h) => new GitCorrupt(`${oid} is ${h.size} bytes, over git.object.bytes`),
        );
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },
    async has(oid) {
      try {
        await objects().header(oid);
        return true;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },
    async write(oid, type, data) {
      await writeLooseObject(repo().gitdir, type, data, oid);
    },
    head: () => repos.objs.headFromDisk(repo()),
    async moveHead(expected, next) {
      const r = repo();
      await compareAndSwapRef({
        gitdir: r.gitdir,
        ref: MAIN_REF,
        expected,
        next,
        readCurrent: () => repos.objs.headFromDisk(r),
      });
      repos.setHead(appId, next);
    },
  };
}

function isMissing(err: unknown): boolean {
  return err instanceof GitMissing || err instanceof Deno.errors.NotFound;
}
