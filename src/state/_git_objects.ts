import { isoGit } from "./_isogit.ts";
import { KilnError, limitExceeded, LIMITS, quote } from "../core/mod.ts";
import { nodeFs } from "../core/node/mod.ts";
import type { ByteLru } from "./_lru.ts";
import { GitCorrupt } from "./_git_errors.ts";
import {
  type CommitData,
  parseCommit,
  parseTree,
  tagTarget,
  type TreeEntry,
} from "./_git_parse.ts";
import type { ObjectHeader, ObjectReader } from "./_object_reader.ts";
import { decodeText } from "./_object_codec.ts";

export type { CommitData, Signature, TreeEntry } from "./_git_parse.ts";

/** The branch every app repo serves. */
export const MAIN_REF = "refs/heads/main";

/** One app repository as the store addresses it; `key` changes when the repo is recreated. */
export interface Repo {
  appId: string;
  gitdir: string;
  key: string;
  /** Reads its objects, sizes first. */
  reader: ObjectReader;
}

/** Bytes one tree entry can take: mode, space, a name of up to 255 bytes, NUL, the id. */
const TREE_ENTRY_BYTES = 6 + 1 + 255 + 1 + 20;

const FULL_OID = /^[0-9a-f]{40}$/;
const SHORT_OID = /^[0-9a-f]{7,39}$/;
const REF_NAME = /^(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;
const NOT_TEXT = Symbol("not UTF-8");

/** The code isomorphic-git gives its errors. */
export function gitErrorCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Reads Git objects, sizes first (see `ObjectReader`), with a shared byte-bounded cache. Objects
 * are immutable, so everything read by object id is cached without invalidation; only refs are
 * always read from disk (through isomorphic-git).
 */
export class GitObjects {
  constructor(readonly cache: ByteLru<unknown>) {}

  /** A tree's entries; one over `git.tree.entries` is refused before it is inflated. */
  async tree(repo: Repo, oid: string): Promise<readonly TreeEntry[]> {
    const key = `t\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as TreeEntry[] | undefined;
    if (hit) return hit;
    const max = LIMITS["git.tree.entries"];
    const tooMany = (size: number) =>
      limitExceeded(
        "git.tree.entries",
        `tree ${oid} has more than ${max} entries; Kiln reads no larger trees`,
        { tree: oid, size, max },
      );
    const { type, data } = await repo.reader.read(
      oid,
      max * TREE_ENTRY_BYTES,
      (h) => tooMany(h.size),
    );
    if (type !== "tree") throw new GitCorrupt(`${oid} is a ${type}, not a tree`);
    const entries = parseTree(oid, data);
    if (entries.length > max) throw tooMany(data.length);
    Object.freeze(entries);
    this.cache.set(key, entries, entries.reduce((n, e) => n + e.path.length * 2 + 120, 0));
    return entries;
  }

  /** Records the header of an object Kiln has just written, so it is not read back. */
  remember(repo: Repo, oid: string, header: ObjectHeader): void {
    this.cache.set(`h\0${repo.key}\0${oid}`, header, 64);
  }

  /** An object's type and size, from its header alone. */
  async header(repo: Repo, oid: string): Promise<ObjectHeader> {
    const key = `h\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as ObjectHeader | undefined;
    if (hit) return hit;
    const header = await repo.reader.header(oid);
    this.cache.set(key, header, 64);
    return header;
  }

  /**
   * A blob's text, or null when it is not UTF-8 (binary files are kept, never decoded). A blob
   * over `definition.bytes` is refused from its header, unread.
   */
  async text(repo: Repo, oid: string, path = oid): Promise<string | null> {
    const key = `b\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as string | typeof NOT_TEXT | undefined;
    if (hit !== undefined) return hit === NOT_TEXT ? null : hit;
    const max = LIMITS["definition.bytes"];
    const { data } = await repo.reader.read(oid, max, (h) =>
      limitExceeded(
        "definition.bytes",
        `${quote(path)} is ${h.size} bytes; the limit is ${max} (definition.bytes)`,
        { path, size: h.size, max },
      ));
    const text = await decodeText(data);
    this.cache.set(key, text ?? NOT_TEXT, text === null ? 0 : text.length * 2);
    return text;
  }

  /**
   * A commit (annotated tags peeled); REVISION_NOT_FOUND when `oid` names no commit. Of a commit
   * over `git.commit.bytes` only that much is read: its headers and the start of its message
   * (`cut`).
   */
  async commit(repo: Repo, oid: string, peel = 0): Promise<CommitData> {
    const key = `c\0${repo.key}\0${oid}`;
    const hit = this.cache.get(key) as CommitData | undefined;
    if (hit) return hit;
    const max = LIMITS["git.commit.bytes"];
    let read;
    try {
      read = await repo.reader.readPrefix(
        oid,
        max,
        (h) =>
          limitExceeded("git.commit.bytes", `${h.type} ${oid} is ${h.size} bytes`, {
            size: h.size,
            max,
          }),
      );
    } catch (err) {
      if (gitErrorCode(err) === "NotFoundError") throw notFound(oid);
      throw err;
    }
    if (read.header.type === "tag" && peel < 5) {
      const target = tagTarget(read.data);
      if (target) return await this.commit(repo, target, peel + 1);
    }
    if (read.header.type !== "commit") throw notFound(oid);
    const data = Object.freeze(parseCommit(oid, read.data, read.header.size));
    this.cache.set(key, data, data.message.length * 2 + 400);
    return data;
  }

  /** The branch head as it is on disk now (loose or packed ref), null for an empty repo. */
  async headFromDisk(repo: Repo): Promise<string | null> {
    const plain = await plainHead(repo.gitdir);
    if (plain !== undefined) return plain;
    try {
      return await (await isoGit()).resolveRef({
        fs: nodeFs(),
        gitdir: repo.gitdir,
        ref: MAIN_REF,
      });
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
        oid = await (await isoGit()).resolveRef({ fs: nodeFs(), gitdir: repo.gitdir, ref });
      } catch (err) {
        if (gitErrorCode(err) === "NotFoundError") continue;
        throw err;
      }
      return (await this.commit(repo, oid)).oid;
    }
    throw notFound(revision);
  }

  async #expand(repo: Repo, short: string): Promise<string | null> {
    const found = await repo.reader.startingWith(short.toLowerCase(), 2);
    if (found.length > 1) {
      throw new KilnError("REVISION_NOT_FOUND", `revision ${quote(short)} is ambiguous`, {
        revision: short,
      });
    }
    return found[0] ?? null;
  }
}

function notFound(revision: string): KilnError {
  return new KilnError("REVISION_NOT_FOUND", `no commit ${quote(revision)} in the repository`, {
    revision,
  });
}

/**
 * `refs/heads/main` read directly when it is a plain loose or packed ref (what Kiln and stock Git
 * write), so starting and syncing need no Git library; undefined for anything else (a symbolic
 * ref, an unreadable file), which isomorphic-git resolves.
 */
async function plainHead(gitdir: string): Promise<string | null | undefined> {
  const loose = await readIfExists(`${gitdir}/${MAIN_REF}`);
  if (loose !== null) {
    const oid = loose.trim();
    return FULL_OID.test(oid) ? oid : undefined;
  }
  const packed = await readIfExists(`${gitdir}/packed-refs`);
  if (packed === null) return null;
  for (const line of packed.split("\n")) {
    const [oid, name] = line.trim().split(" ");
    if (name === MAIN_REF) return FULL_OID.test(oid) ? oid : undefined;
  }
  return null;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
