/**
 * The budgets Kiln holds work to when its size is controlled by an app or a caller (ADR 0013):
 * one table, so operators and the docs see every limit in one place, and one error for crossing
 * any of them. A budget is checked before the expensive work it guards, never after.
 */
import { KilnError } from "./errors.ts";

/** Every named budget and its default. Sizes are bytes unless the name says otherwise. */
export const LIMITS = {
  /** Nesting of any JSON value Kiln accepts or hands on (bodies, tool arguments, guest output). */
  "json.depth": 128,
  /** One file under an app's `state/`, however it arrives (API, registration, `git push`). */
  "definition.bytes": 1 << 20,
  /** Nesting of a YAML definition (collections inside collections). */
  "yaml.depth": 64,
  /** Lexical tokens (values, indicators, line breaks, comments) of one YAML file: parse time. */
  "yaml.tokens": 16_384,
  /** Anchors, aliases, and nodes aliases may expand to, in one YAML file. */
  "yaml.aliases": 100,
  /** Any Git object Kiln inflates (delta bases included); larger ones are refused unread. */
  "git.object.bytes": 4 << 20,
  /** Entries of one Git tree Kiln reads (a tree's byte size bounds them before it is read). */
  "git.tree.entries": 2_000,
  /** Files under an app's `state/`. */
  "git.state.files": 2_000,
  /** Bytes of all files under an app's `state/`. */
  "git.state.bytes": 64 << 20,
  /** Folder nesting under an app's `state/`. */
  "git.state.depth": 32,
  /** A commit object Kiln reads whole; a larger one is an invalid head and shows cut in history. */
  "git.commit.bytes": 64 << 10,
  /** A commit message in a history answer; longer ones end with a cut marker. */
  "history.message.bytes": 16 << 10,
  /** A diff answer; a larger one is refused with advice to narrow it to a path. */
  "diff.bytes": 4 << 20,
  /** Line edits one file's diff searches for (cost is edits × lines); past it: replaced whole. */
  "diff.edits": 500,
  /** One `git push` into an app repo (stock Git's `receive.maxInputSize`). */
  "git.push.bytes": 32 << 20,
} as const;

/** A budget's name, as errors and docs spell it (the keys of `LIMITS`, and per-subsystem ones). */
export type LimitName = string;

/**
 * The error for input that crosses a budget: LIMIT_EXCEEDED naming the budget in `details.limit`.
 * Work on the app's own logic that crosses a budget is a component fault instead, reported by the
 * caller with its own code; this is for what the caller sent.
 */
export function limitExceeded(
  limit: LimitName,
  message: string,
  details: Record<string, unknown> = {},
): KilnError {
  return new KilnError("LIMIT_EXCEEDED", message, { limit, ...details });
}
