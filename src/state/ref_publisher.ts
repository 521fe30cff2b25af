import type { GitObjectType } from "./_object_reader.ts";

/** One app's bare repo as the shared-definitions log sees it: objects in, objects out, its ref. */
export interface LocalRepo {
  readonly appId: string;
  /** An object's type and content; null when the repo does not hold it. */
  read(oid: string): Promise<{ type: GitObjectType; data: Uint8Array } | null>;
  has(oid: string): Promise<boolean>;
  /** Writes a loose object (its id is checked against the content). */
  write(oid: string, type: GitObjectType, data: Uint8Array): Promise<void>;
  /** The branch head on disk. */
  head(): Promise<string | null>;
  /** Moves the branch head with the lock-file compare-and-swap (CONFLICT when it moved). */
  moveHead(expected: string | null, next: string): Promise<void>;
}

/** What `adopt` found: a head this node published, or one that came from the shared head. */
export type Adopted = "published" | "shared";

/**
 * Where a definition write becomes visible to other nodes. A write builds its commit in the
 * local repo (objects only), then `publish`es it; only when that wins does the local ref move.
 * Single-node Kiln's publisher does nothing (the local ref's compare-and-swap is the whole
 * story); cluster mode's makes a shared head the truth and the local repo its cache.
 */
export interface RefPublisher {
  /** Brings the local repo up to the shared head (under the app's write lock). */
  pull(repo: LocalRepo): Promise<void>;
  /**
   * Makes `next` the shared head if it still is `expected`; CONFLICT (with the single-node
   * `details`) when another writer won.
   */
  publish(repo: LocalRepo, expected: string | null, next: string): Promise<void>;
  /**
   * The local head moved outside Kiln's writes (a `git push`): publishes it, or, when another
   * node's write won meanwhile, puts the shared head back.
   */
  adopt(repo: LocalRepo): Promise<Adopted>;
  /** Forgets an app whose state is deleted (its shared head and objects go too). */
  drop(appId: string): Promise<void>;
}

/** Single-node Kiln: the local ref is the truth, publishing is its compare-and-swap alone. */
export const localRefs: RefPublisher = {
  pull: () => Promise.resolve(),
  publish: () => Promise.resolve(),
  adopt: () => Promise.resolve("published"),
  drop: () => Promise.resolve(),
};
