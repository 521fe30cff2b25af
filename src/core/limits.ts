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
