import { canonicalJson } from "../llm/mod.ts";

/** What recorded traffic is grouped by, so a rare kind of call cannot hide in the average. */
export interface Strata {
  /** `output`: by recorded answer (a classifier's label); `input`: by input shape. */
  kind: "output" | "input" | "none";
  /** The group a pair belongs to. */
  of(pair: { input: unknown; output: unknown }): string;
}

/** Most groups a grouping may have and still say something about each of them. */
const MAX_GROUPS = 20;

/** A recorded answer as a group key (JSON canonical, text trimmed — as answers compare). */
export function outputKey(output: unknown): string {
  return typeof output === "string" ? JSON.stringify(output.trim()) : canonicalJson(output);
}

/**
 * An input's shape: its JSON skeleton, with text reduced to its form (digit runs → `9`, letter
 * runs → `a`, whitespace → one space) when `fine`. Notations of a phone number or a date fall
 * apart into clusters this way, which is where a handler that fails "on one shape" fails.
 */
export function inputShape(input: unknown, fine = true, depth = 0): string {
  if (input === null || input === undefined) return "null";
  if (typeof input === "string") {
    if (!fine) return "text";
    return input.slice(0, 200).replace(/\p{Nd}+/gu, "9").replace(/\p{L}+/gu, "a")
      .replace(/\s+/g, " ").trim().slice(0, 40);
  }
  if (typeof input !== "object") return typeof input;
  if (depth >= 3) return Array.isArray(input) ? "[…]" : "{…}";
  if (Array.isArray(input)) {
    return input.length ? `[${inputShape(input[0], fine, depth + 1)}…]` : "[]";
  }
  const keys = Object.keys(input as Record<string, unknown>).sort().slice(0, 20);
  return `{${
    keys.map((k) => `${k}:${inputShape((input as Record<string, unknown>)[k], fine, depth + 1)}`)
      .join(",")
  }}`;
}

/**
 * Picks how to group a component's traffic: by recorded answer when answers are categorical
 * (few distinct values — labels, routes), else by input shape when shapes are few, else not at
 * all. Groups are what the gate's slices are stratified by and what agreement is reported per.
 */
export function strataOf(pairs: readonly { input: unknown; output: unknown }[]): Strata {
  const limit = Math.max(2, Math.min(MAX_GROUPS, Math.floor(pairs.length / 10)));
  if (distinct(pairs.map((p) => outputKey(p.output))) <= limit) {
    return { kind: "output", of: (p) => outputKey(p.output) };
  }
  return clustersOf(pairs) ?? { kind: "none", of: () => "" };
}

/** Input clusters for reporting, whatever the strata: fine shapes when they are few. */
export function clustersOf(
  pairs: readonly { input: unknown; output: unknown }[],
): Strata | undefined {
  const limit = Math.max(2, Math.min(MAX_GROUPS, Math.floor(pairs.length / 10)));
  for (const fine of [true, false]) {
    const n = distinct(pairs.map((p) => inputShape(p.input, fine)));
    if (n > 1 && n <= limit) return { kind: "input", of: (p) => inputShape(p.input, fine) };
  }
  return undefined;
}

function distinct(keys: string[]): number {
  return new Set(keys).size;
}
