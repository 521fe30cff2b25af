/**
 * Nesting budgets for JSON. Parsing JSON is iterative in V8, but much of what follows a parse —
 * `JSON.stringify`, zod, structured clone, Kiln's own walkers — recurses, so a few kilobytes of
 * `[[[[…` can overflow the stack far from where they came in. These checks run where values
 * enter, in one pass and without recursion, and stop as soon as the budget is crossed.
 */
import { limitExceeded } from "./limits.ts";

const OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c;

/**
 * The nesting depth of JSON text (bytes or string), or `max + 1` as soon as it passes `max`.
 * Strings are skipped, so brackets inside them do not count; malformed text is the parser's
 * business, this only measures.
 */
export function jsonTextDepth(text: string | Uint8Array, max = Infinity): number {
  let depth = 0, deepest = 0, inString = false;
  const bytes = typeof text !== "string";
  for (let i = 0; i < text.length; i++) {
    const c = bytes ? (text as Uint8Array)[i] : (text as string).charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** The nesting depth of a parsed value (arrays and plain objects), or `max + 1` once past `max`. */
export function valueDepth(value: unknown, max = Infinity): number {
  if (value === null || typeof value !== "object") return 0;
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    if (depth > deepest) {
      deepest = depth;
      if (deepest > max) return deepest;
    }
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Throws LIMIT_EXCEEDED (`json.depth`) when `value` (text or parsed) nests deeper than `max`. */
export function assertJsonDepth(value: unknown, what: string, max: number): void {
  const depth = typeof value === "string" || value instanceof Uint8Array
    ? jsonTextDepth(value, max)
    : valueDepth(value, max);
  if (depth > max) {
    throw limitExceeded("json.depth", `${what} nests deeper than ${max} levels`, { max });
  }
}
