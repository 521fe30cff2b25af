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
