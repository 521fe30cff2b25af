import type { DefinitionIssue } from "./definitions.ts";

/** One ref a `git push` wants to move, as Git hands it to `pre-receive`. */
export interface RefUpdate {
  ref: string;
  /** The ref's current commit; all zeros when the push creates it. */
  old: string;
  /** The commit the push wants; all zeros when it deletes the ref. */
  new: string;
}

/**
 * The objects of a push Git holds in quarantine: readable before Git accepts them, gone if the
 * push is refused.
 */
export interface PushedObjects {
  /** The object directories, the quarantine first, then the repository's own. */
  readonly dirs: readonly string[];
  /** An object exactly as a loose object file holds it (zlib-deflated), or null when absent. */
  readObject(oid: string): Promise<Uint8Array | null>;
  /** Every problem of the commit's tree, as `validateRevision` would find it once accepted. */
  issues(commit: string): Promise<DefinitionIssue[]>;
  /** The commit's `state/` files, as `readTree` would read them once accepted. */
  readTree(commit: string): Promise<Map<string, string>>;
}

/** Whether a push may go in, and what the pusher is told either way (one line each). */
export interface PushDecision {
  accepted: boolean;
  messages: string[];
}

/**
 * The one place a `git push` is decided: the repo's `pre-receive` hook asks Kiln, which asks
 * this. Single node, it validates the new revision as the API would; cluster mode wraps it to
 * publish the objects and move the shared head with a compare-and-swap.
 */
export interface PushGate {
  check(
    appId: string,
    updates: readonly RefUpdate[],
    objects: PushedObjects,
  ): Promise<PushDecision>;
}

/** The branch every app serves; pushes to it are validated. */
export const SERVED_REF = "refs/heads/main";
/** Git's id for "no commit" in a ref update. */
export const ZERO_OID = "0000000000000000000000000000000000000000";
