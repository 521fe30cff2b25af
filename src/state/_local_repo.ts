import { deflateSync } from "node:zlib";
import { KilnError, LIMITS } from "../core/mod.ts";
import type { AppRepos } from "./_app_repos.ts";
import { GitCorrupt, GitMissing } from "./_git_errors.ts";
import { MAIN_REF } from "./_git_objects.ts";
import type { GitObjectType, ObjectReader } from "./_object_reader.ts";
import { compareAndSwapRef } from "./_ref_lock.ts";
import type { LocalRepo } from "./ref_publisher.ts";

const ENCODER = new TextEncoder();

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
      const wrapped = wrap(type, data);
      const actual = await sha1Hex(wrapped);
      if (actual !== oid) {
        throw new KilnError("INTERNAL", `object ${oid} has content hashing to ${actual}`);
      }
      const dir = `${repo().gitdir}/objects/${oid.slice(0, 2)}`;
      const path = `${dir}/${oid.slice(2)}`;
      await Deno.mkdir(dir, { recursive: true });
      // Written aside and renamed, so a reader never sees half an object.
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      await Deno.writeFile(tmp, deflateSync(wrapped), { mode: 0o444 });
      await Deno.rename(tmp, path);
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

/** `<type> <size>\0<content>`: what Git hashes and deflates. */
function wrap(type: GitObjectType, data: Uint8Array): Uint8Array {
  const header = ENCODER.encode(`${type} ${data.length}\0`);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function isMissing(err: unknown): boolean {
  return err instanceof GitMissing || err instanceof Deno.errors.NotFound;
}
