/**
 * Shape budgets for JSON: nesting and item count. Parsing JSON is iterative in V8, but much of
 * what follows a parse — `JSON.stringify`, zod, structured clone, Kiln's own walkers — recurses,
 * so a few kilobytes of `[[[[…` can overflow the stack far from where they came in; and a few
 * megabytes of `[],[],…` are a million objects to build, copy and collect on the thread that
 * serves every app. These checks run where values enter, in one pass over the text (or one walk
 * of a value) without recursion, and stop as soon as a budget is crossed.
 */
import { limitExceeded, LIMITS } from "./limits.ts";

const OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;

/** What a scan of JSON text found, up to the point it stopped. */
export interface JsonShape {
  depth: number;
  /** Arrays, objects and separated elements: roughly the values a parse would build. */
  items: number;
  /** The first budget crossed, if any (the scan stops there). */
  over: "json.depth" | "json.items" | null;
}

/**
 * Measures JSON text (bytes or string) in one pass: nesting depth and item count, stopping at the
 * first of `maxDepth` (default `LIMITS["json.depth"]`) or `maxItems` (`LIMITS["json.items"]`)
 * crossed. Strings are skipped, so brackets inside them do not count; malformed text is the
 * parser's business, this only measures.
 */
export function jsonTextShape(
  text: string | Uint8Array,
  maxDepth: number = LIMITS["json.depth"],
  maxItems: number = LIMITS["json.items"],
): JsonShape {
  let depth = 0, deepest = 0, items = 0, inString = false;
  const bytes = typeof text !== "string";
  for (let i = 0; i < text.length; i++) {
    const c = bytes ? (text as Uint8Array)[i] : (text as string).charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++items > maxItems) return { depth: deepest, items, over: "json.items" };
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return { depth: deepest, items, over: "json.depth" };
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COMMA && ++items > maxItems) {
      return { depth: deepest, items, over: "json.items" };
    }
  }
  return { depth: deepest, items, over: null };
}

/**
 * The nesting depth of JSON text (bytes or string), or `max + 1` as soon as it passes `max`.
 */
export function jsonTextDepth(text: string | Uint8Array, max = Infinity): number {
  return jsonTextShape(text, max, Infinity).depth;
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

/** A sentence for a crossed shape budget: "the request body nests deeper than 128 levels". */
export function shapeMessage(what: string, over: "json.depth" | "json.items"): string {
  return over === "json.depth"
    ? `${what} nests deeper than ${LIMITS["json.depth"]} levels`
    : `${what} holds more than ${LIMITS["json.items"]} items`;
}

/**
 * Throws LIMIT_EXCEEDED when JSON text crosses `json.depth` or `json.items`, or a parsed value
 * nests deeper than `max`; the error names the budget.
 */
export function assertJsonDepth(value: unknown, what: string, max: number): void {
  if (typeof value === "string" || value instanceof Uint8Array) {
    const { over } = jsonTextShape(value, max);
    if (over) {
      const limit = over === "json.depth" ? max : LIMITS["json.items"];
      throw limitExceeded(over, shapeMessage(what, over).replace(/\d+/, String(limit)), {
        max: limit,
      });
    }
    return;
  }
  if (valueDepth(value, max) > max) {
    throw limitExceeded("json.depth", `${what} nests deeper than ${max} levels`, { max });
  }
}
