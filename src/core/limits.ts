/**
 * The budgets Kiln holds work to when its size is controlled by an app or a caller (ADR 0013):
 * one table, so operators and the docs see every limit in one place, and one error for crossing
 * any of them. A budget is checked before the expensive work it guards, never after.
 */
import { KilnError } from "./errors/mod.ts";

/** Every named budget and its default. Sizes are bytes unless the name says otherwise. */
export const LIMITS = {
  /** Nesting of any JSON value Kiln accepts or hands on (bodies, tool arguments, guest output). */
  "json.depth": 128,
  /**
   * Items (arrays, objects, separated elements) of one JSON text Kiln parses from a caller or a
   * guest: about the values a parse would build on the thread that serves every app.
   */
  "json.items": 200_000,
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
  /** `:params` of one route pattern (Hono's matcher recurses once per segment). */
  "route.params": 32,
  /** One `git push` into an app repo (stock Git's `receive.maxInputSize`). */
  "git.push.bytes": 32 << 20,
  /** Longest a prompt template may render for (ms); the component's own timeout when shorter. */
  "template.ms": 2_000,
  /** Characters one rendered prompt part may have. */
  "template.output": 1 << 20,
  /** V8 heap of each app's template renderer (MB); crossing it ends that app's renderer only. */
  "template.memoryMb": 128,
  /** Renders one app runs at once; more wait (within their deadline) for a free one. */
  "template.concurrency": 1,
  /** Expression nodes one CEL evaluation may visit (comprehension steps included). */
  "expression.steps": 25_000,
  /** Data one CEL evaluation may produce or hand its functions (string characters, 8 a scalar). */
  "expression.bytes": 4 << 20,
  /** List elements and map entries one CEL evaluation may materialise. */
  "expression.elements": 100_000,
  /** Length of a string a CEL expression may parse as a duration (its parser backtracks). */
  "expression.argument": 64,
  /** Length of a pattern a CEL expression may match with `matches()`. */
  "expression.pattern": 1_024,
  /**
   * Work of app-defined regular expressions per evaluation, schema check or redacted sample:
   * characters scanned times the pattern's compiled size (the linear engine's cost bound).
   */
  "regex.work": 4_000_000,
  /** Size (bytes of JSON) of a JSON Schema an app may have compiled. */
  "schema.bytes": 256 << 10,
  /** Nesting depth of a JSON Schema an app may have compiled. */
  "schema.depth": 32,
  /** Characters of the message of an error a component answers; longer ones are cut. */
  "component.error.message": 2_048,
  /** Bytes (JSON) of the `details` of an error a component answers; larger ones are dropped. */
  "component.error.details": 16 << 10,
  /**
   * Characters of an llm step's streamed text one step attempt shows as `step.delta` run events;
   * past it one `truncated` event, and the step's output still carries the whole answer.
   */
  "workflow.step.deltaChars": 64 << 10,
  /**
   * Longest a wasm component may take to compile in its worker (ms), outside the execution's
   * own deadline: an engine-carrying component (componentize-js) takes seconds on a busy host.
   */
  "component.compileMs": 60_000,
  /**
   * Longest esbuild may take over one component script's bundle (ms), on its worker thread;
   * past it the worker is ended and the build fails. A megabyte of TypeScript takes 0.2-5 s.
   */
  "bundle.ms": 30_000,
  /** Output a sandbox host writes outside its frames (a guest writing to fd 1/2) in its life. */
  "sandbox.stray_bytes": 1 << 20,
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
