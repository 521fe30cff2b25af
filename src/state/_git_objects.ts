import git from "isomorphic-git";
import fs from "node:fs";
import { KilnError, quote } from "../core/mod.ts";
import type { ByteLru } from "./_lru.ts";

/** The branch every app repo serves. */
export const MAIN_REF = "refs/heads/main";

/** One app repository as the store addresses it; `key` changes when the repo is recreated. */
export interface Repo {
  appId: string;
  gitdir: string;
  key: string;
  /** isomorphic-git's pack-index cache for this repo. */
  packCache: Record<string, unknown>;
}

/** A Git tree entry as isomorphic-git reports it (`mode` is six digits, `040000` for trees). */
export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: "blob" | "tree" | "commit";
}

/** A person line of a commit. */
export interface Signature {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

/** A parsed commit. */
export interface CommitData {
  oid: string;
  tree: string;
  parents: string[];
  message: string;
  author: Signature;
}

const FULL_OID = /^[0-9a-f]{40}$/;
const SHORT_OID = /^[0-9a-f]{7,39}$/;
const REF_NAME = /^(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NOT_TEXT = Symbol("not UTF-8");

/** The code isomorphic-git gives its errors. */
export function gitErrorCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Reads Git objects through isomorphic-git with a shared byte-bounded cache. Objects are
 * immutable, so everything read by object id is cached without invalidation; only refs are
 * always read from disk.
 */
export class GitObjects {
  constructor(readonly cache: ByteLru<unknown>) {}

  async tree(repo: Repo, oid: string): Promise<readonly TreeEntry[]> {
    const key = `t\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as TreeEntry[] | undefined;
    if (hit) return hit;
    let entries: TreeEntry[];
    try {
      ({ tree: entries } = await git.readTree({
        fs,
        gitdir: repo.gitdir,
        oid,
        cache: repo.packCache,
      }));
    } catch (err) {
      if (gitErrorCode(err) === "UnsafeFilepathError") {
        throw new KilnError("PATH_NOT_ALLOWED", `tree ${oid} contains an unsafe entry name`, {
          tree: oid,
        });
      }
      throw err;
    }
    Object.freeze(entries);
    this.cache.set(key, entries, entries.reduce((n, e) => n + e.path.length * 2 + 120, 0));
    return entries;
  }

  /** A blob's text, or null when it is not UTF-8 (binary files are kept, never decoded). */
  async text(repo: Repo, oid: string): Promise<string | null> {
    const key = `b\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as string | typeof NOT_TEXT | undefined;
    if (hit !== undefined) return hit === NOT_TEXT ? null : hit;
    const { blob } = await git.readBlob({ fs, gitdir: repo.gitdir, oid, cache: repo.packCache });
    let text: string | null;
    try {
      text = UTF8.decode(blob);
    } catch {
      text = null;
    }
    this.cache.set(key, text ?? NOT_TEXT, text === null ? 0 : text.length * 2);
    return text;
  }

  /** A commit (annotated tags peeled); REVISION_NOT_FOUND when `oid` names no commit. */
  async commit(repo: Repo, oid: string): Promise<CommitData> {
    const key = `c\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as CommitData | undefined;
    if (hit) return hit;
    let read;
    try {
      read = await git.readCommit({ fs, gitdir: repo.gitdir, oid, cache: repo.packCache });
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === "NotFoundError" || code === "ObjectTypeError") throw notFound(oid);
      throw err;
    }
    const c = read.commit;
    const data: CommitData = Object.freeze({
      oid: read.oid,
      tree: c.tree,
      parents: c.parent,
      message: c.message,
      author: c.author,
    });
    this.cache.set(key, data, data.message.length * 2 + 400);
    return data;
  }

  /** The branch head as it is on disk now (loose or packed ref), null for an empty repo. */
  async headFromDisk(repo: Repo): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: repo.gitdir, ref: MAIN_REF });
    } catch (err) {
      if (gitErrorCode(err) === "NotFoundError") return null;
      throw err;
    }
  }

  /**
   * Turns a user-given revision (full or abbreviated oid, `HEAD`, a branch or tag name) into a
   * commit oid. Ref names are only looked up under `refs/`, never as arbitrary gitdir files.
   */
  async resolve(repo: Repo, revision: string): Promise<string> {
    const rev = revision.trim();
    if (FULL_OID.test(rev.toLowerCase())) return (await this.commit(repo, rev.toLowerCase())).oid;
    if (SHORT_OID.test(rev)) {
      const oid = await this.#expand(repo, rev);
      if (oid) return (await this.commit(repo, oid)).oid;
    }
    if (!REF_NAME.test(rev)) throw notFound(revision);
    const candidates = rev === "HEAD" || rev.startsWith("refs/")
      ? [rev]
      : [`refs/heads/${rev}`, `refs/tags/${rev}`];
    for (const ref of candidates) {
      let oid: string;
      try {
        oid = await git.resolveRef({ fs, gitdir: repo.gitdir, ref });
      } catch (err) {
        if (gitErrorCode(err) === "NotFoundError") continue;
        throw err;
      }
      return (await this.commit(repo, oid)).oid;
    }
    throw notFound(revision);
  }

  async #expand(repo: Repo, short: string): Promise<string | null> {
    try {
      return await git.expandOid({ fs, gitdir: repo.gitdir, oid: short, cache: repo.packCache });
    } catch (err) {
      const code = gitErrorCode(err);
      if (code === "AmbiguousError") {
        throw new KilnError("REVISION_NOT_FOUND", `revision ${quote(short)} is ambiguous`, {
          revision: short,
        });
      }
      if (code === "NotFoundError") return null;
      throw err;
    }
  }
}

function notFound(revision: string): KilnError {
  return new KilnError("REVISION_NOT_FOUND", `no commit ${quote(revision)} in the repository`, {
    revision,
  });
}
