/**
 * Schemas given as files (`schemas/ticket.schema.json`, SPEC's layout) reference each other by
 * path (`common.schema.json#/$defs/Address`). A tool listing, an LLM tool API or a validator
 * compiled alone needs one self-contained document, so every file a schema reaches is copied
 * into its `$defs` and each `$ref` becomes a JSON pointer into that one document.
 */
import { KilnError, LIMITS, quote, valueDepth } from "../core/mod.ts";
import { dialectOf } from "./_ajv.ts";
import type { JsonSchema } from "./validator.ts";

/** The parsed content of a file under `state/` (undefined: no such file). */
export type SchemaFileReader = (path: string) => unknown;

type Json = Record<string, unknown>;

interface Doc {
  key: string;
  value: unknown;
}

/**
 * The self-contained schema `ref` stands for: an inline schema (its `$ref`s to files read
 * relative to `state/`) or a path under `state/` with an optional JSON-pointer fragment. Throws
 * VALIDATION_ERROR naming the reference that does not resolve.
 */
export function bundleSchema(ref: string | Json, read: SchemaFileReader): JsonSchema {
  const docs = new Map<string, Doc>();
  const used = new Set<string>();
  const load = (path: string, via: string): Doc => {
    let doc = docs.get(path);
    if (doc) return doc;
    const value = read(path);
    if (value === undefined) {
      throw unresolved(`the $ref ${via} names ${quote(path)}, which is not a file in state/`);
    }
    if (valueDepth(value, LIMITS["schema.depth"]) > LIMITS["schema.depth"]) {
      throw unresolved(`${quote(path)} nests deeper than ${LIMITS["schema.depth"]} levels`);
    }
    doc = { key: uniqueKey(path, docs), value };
    docs.set(path, doc);
    return doc;
  };
  let rootPath: string | null;
  let root: unknown;
  if (typeof ref === "string") {
    const [path, fragment] = splitRef(ref, "", ref);
    rootPath = path;
    root = at(load(path, quote(ref)).value, fragment, quote(ref));
  } else {
    rootPath = null;
    root = ref;
  }
  const container = dialectOf(typeof ref === "string" ? docs.get(rootPath!)!.value : ref) === "07"
    ? "definitions"
    : "$defs";
  // Every `$ref` points at `#/<container>/<file key>` plus its fragment; files are rewritten
  // once, as they are first referenced, until no new file turns up.
  const pointerTo = (fromPath: string | null, text: string): string => {
    const [path, fragment] = splitRef(text, fromPath === null ? "" : dirOf(fromPath), text);
    const target = path === "" ? fromPath : path;
    if (target === null) return text;
    const via = fromPath === null ? quote(text) : `${quote(text)} in ${quote(fromPath)}`;
    at(load(target, via).value, fragment, via);
    used.add(target);
    return `#/${container}/${docs.get(target)!.key}${fragment}`;
  };
  const out = rewrite(root, rootPath, pointerTo) as JsonSchema;
  const defs: Json = {};
  for (let fresh = [...used]; fresh.length > 0;) {
    const next: string[] = [];
    for (const path of fresh) {
      const doc = docs.get(path)!;
      if (doc.key in defs) continue;
      const before = used.size;
      defs[doc.key] = withoutRootKeywords(rewrite(doc.value, path, pointerTo));
      if (used.size > before) next.push(...[...used].slice(before));
    }
    fresh = next;
  }
  if (Object.keys(defs).length === 0) return out;
  if (typeof out !== "object" || out === null) return { allOf: [out], [container]: defs };
  const own = (out as Json)[container];
  return { ...out, [container]: { ...(isObject(own) ? own : {}), ...defs } };
}

function rewrite(
  node: unknown,
  path: string | null,
  pointerTo: (from: string | null, ref: string) => string,
): unknown {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, path, pointerTo));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    // Refs resolve by file path here, so an `$id` would only move the base they resolve from.
    if (k === "$id" && typeof v === "string") continue;
    out[k] = k === "$ref" && typeof v === "string"
      ? pointerTo(path, v)
      : rewrite(v, path, pointerTo);
  }
  return out;
}

/** `[file path under state/ ("" for this document), JSON-pointer fragment ("" or "/…")]`. */
function splitRef(ref: string, dir: string, via: string): [string, string] {
  const hash = ref.indexOf("#");
  const file = hash < 0 ? ref : ref.slice(0, hash);
  let fragment = hash < 0 ? "" : ref.slice(hash + 1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    throw unresolved(`the $ref ${quote(via)} has a malformed fragment`);
  }
  if (fragment !== "" && !fragment.startsWith("/")) {
    throw unresolved(
      `the $ref ${quote(via)} uses an anchor; only JSON-pointer fragments (#/…) are supported`,
    );
  }
  if (file === "") return ["", fragment];
  if (/^[a-z][a-z0-9+.-]*:/i.test(file) || file.startsWith("/")) {
    throw unresolved(`the $ref ${quote(via)} must be a path relative to the schema file`);
  }
  const parts: string[] = dir === "" ? [] : dir.split("/");
  for (const part of file.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw unresolved(`the $ref ${quote(via)} leaves state/`);
      parts.pop();
    } else parts.push(part);
  }
  return [parts.join("/"), fragment];
}

function at(value: unknown, pointer: string, via: string): unknown {
  let node = value;
  for (const raw of pointer === "" ? [] : pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(node) && !Array.isArray(node) || !Object.hasOwn(node, key)) {
      throw unresolved(`the $ref ${via} points at nothing`);
    }
    node = (node as Json)[key];
  }
  return node;
}

function withoutRootKeywords(value: unknown): unknown {
  if (!isObject(value)) return value;
  const { $schema: _, ...rest } = value;
  return rest;
}

function uniqueKey(path: string, docs: ReadonlyMap<string, Doc>): string {
  const base = path.replace(/[^A-Za-z0-9_.-]/g, "_");
  const taken = new Set([...docs.values()].map((d) => d.key));
  let key = base;
  for (let i = 2; taken.has(key); i++) key = `${base}_${i}`;
  return key;
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unresolved(message: string): KilnError {
  return new KilnError("VALIDATION_ERROR", message);
}
