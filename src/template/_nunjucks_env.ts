// @ts-types="@types/nunjucks"
import nunjucks from "nunjucks";
// errors.ts rather than core's mod.ts: this file is bundled into the render worker, which would
// otherwise carry the whole of core (the regex engine included).
import { KilnError, quote, sandboxKilled } from "../core/errors/mod.ts";
import type { RenderPart } from "./renderer.ts";

/**
 * Nunjucks as Kiln renders prompts with it: no HTML autoescape (prompts are not HTML), undefined
 * output is an error, no loaders (so no `include`, `import` or `extends`), a `tojson` filter as
 * in Jinja2, and `range` capped. Nunjucks does not sandbox templates: they compile to JavaScript,
 * so member lookups that lead to the Function constructor (`"".constructor.constructor(...)`)
 * are refused. Time, memory and output are bounded by where this runs (an app's renderer
 * process), not here.
 */
const BLOCKED = new Set([
  "constructor",
  "__proto__",
  "prototype",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);
const FUNCTION_CTORS = new Set<unknown>([
  Function,
  Object.getPrototypeOf(async function () {}).constructor,
  Object.getPrototypeOf(function* () {}).constructor,
  Object.getPrototypeOf(async function* () {}).constructor,
]);
export const MAX_RANGE = 10_000;

/** The last path a template looked up and found undefined (`review.text`), for the error. */
let lastMissing: string | null = null;
/** The path each object was last reached by, so a missing member is named with its parents. */
let pathOf = new WeakMap<object, string>();

const runtime = nunjucks.runtime as unknown as {
  memberLookup(obj: unknown, name: unknown): unknown;
  contextOrFrameLookup(ctx: unknown, frame: unknown, name: string): unknown;
};
const memberLookup = runtime.memberLookup;
const contextOrFrameLookup = runtime.contextOrFrameLookup;
runtime.memberLookup = (obj, name) => {
  if (BLOCKED.has(String(name))) {
    throw new KilnError("PROMPT_INVALID", `templates may not read ${quote(String(name))}`);
  }
  const value = memberLookup(obj, name);
  const parent = typeof obj === "object" && obj !== null ? pathOf.get(obj) : undefined;
  const path = `${parent ?? "…"}.${String(name)}`;
  if (obj !== undefined && obj !== null && value === undefined) lastMissing = path;
  if (typeof value === "object" && value !== null) pathOf.set(value, path);
  if (FUNCTION_CTORS.has((obj as Record<string, unknown> | null)?.[String(name)])) {
    throw new KilnError("PROMPT_INVALID", "templates may not reach the Function constructor");
  }
  return value;
};
runtime.contextOrFrameLookup = (ctx, frame, name) => {
  const value = contextOrFrameLookup(ctx, frame, name);
  if (value === undefined) lastMissing = name;
  if (typeof value === "object" && value !== null) pathOf.set(value, name);
  return value;
};

const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: true });
env.addFilter("tojson", (value: unknown) => JSON.stringify(value));
env.addGlobal("range", (start: number, stop?: number, step = 1) => {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  const count = step === 0 ? Infinity : Math.ceil((to - from) / step);
  if (!(count <= MAX_RANGE)) {
    throw new KilnError("PROMPT_INVALID", `range() is limited to ${MAX_RANGE} items`);
  }
  return Array.from({ length: Math.max(0, count) }, (_, i) => from + i * step);
});

const compiled = new Map<string, nunjucks.Template>();

/** Renders `source` with `vars`; names what was undefined or where the syntax broke. */
export function renderTemplate(
  source: string,
  vars: Record<string, unknown>,
  what: string,
): string {
  let template = compiled.get(source);
  if (!template) {
    try {
      template = nunjucks.compile(source, env);
      // Compile now so syntax errors surface here, not on first render.
      (template as unknown as { compile(): void }).compile();
    } catch (err) {
      throw new KilnError("PROMPT_INVALID", `${what} does not parse: ${clean(err)}`);
    }
    if (compiled.size > 512) compiled.delete(compiled.keys().next().value!);
    compiled.set(source, template);
  }
  lastMissing = null;
  pathOf = new WeakMap();
  try {
    return template.render(vars);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof KilnError) throw err;
    const inner = findKilnError(err);
    if (inner) throw inner;
    const message = clean(err);
    if (/Maximum call stack size exceeded/.test(message)) {
      throw sandboxKilled("stack", `${what} recursed too deeply`, { stage: "prompt template" });
    }
    if (/Invalid string length|Array buffer allocation failed|Invalid array length/.test(message)) {
      throw sandboxKilled("memory", `${what} built a value too large to hold`, {
        stage: "prompt template",
      });
    }
    if (/undefined value/.test(message)) {
      throw new KilnError(
        "PROMPT_RENDER_FAILED",
        `${what} uses ${quote(lastMissing ?? "a variable")}, which is undefined ${where(message)}`
          .trim(),
        { variable: lastMissing },
      );
    }
    throw new KilnError("PROMPT_RENDER_FAILED", `${what} failed to render: ${message}`, {
      cause: String(cause ?? ""),
    });
  }
}

function where(message: string): string {
  const m = /\[Line (\d+), Column (\d+)\]/.exec(message);
  return m ? `(line ${m[1]})` : "";
}

function clean(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\(unknown path\)\s*/g, "").replace(
    /\s+/g,
    " ",
  ).trim();
}

/** Nunjucks wraps errors thrown inside templates; Kiln's own come back out unwrapped. */
function findKilnError(err: unknown): KilnError | null {
  for (let e = err, i = 0; e && i < 5; i++) {
    if (e instanceof KilnError) return e;
    const msg = (e as Error).message ?? "";
    const m = /templates may not [^\n]*|range\(\) is limited to \d+ items/.exec(msg);
    if (m) return new KilnError("PROMPT_INVALID", m[0]);
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * Renders every part of a job, in order, holding the total to `maxChars` characters (checked on
 * each part's length, before anything is copied): a template that builds a huge string is
 * stopped with SANDBOX_KILLED reason `output` rather than handed on.
 */
export function renderParts(
  parts: readonly RenderPart[],
  vars: readonly Record<string, unknown>[],
  maxChars: number,
): string[] {
  let total = 0;
  return parts.map((part) => {
    const text = renderTemplate(part.source, vars[part.vars] ?? {}, part.what);
    total += text.length;
    if (total > maxChars) {
      throw sandboxKilled(
        "output",
        `${part.what} rendered to more than ${maxChars} characters (budget template.output)`,
        { stage: "prompt template", limit: "template.output", maxChars },
      );
    }
    return text;
  });
}
