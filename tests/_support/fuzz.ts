/**
 * Seeded fuzzing against a real `kiln serve`: a small PRNG, generators of hostile values (deep
 * nesting, long strings, odd Unicode, wrong types), values shaped by a JSON Schema and then
 * mutated, and a loop that runs cases for a fixed time. A fuzz test asserts, for every case, that
 * Kiln answered without a server error within the per-request budget; the bystander probe of
 * `underAttack` shows other apps were not slowed. Seeds are fixed (override with
 * `KILN_FUZZ_SEED`), so a failure names the seed and case that reproduce it.
 */
import assert from "node:assert/strict";

/** A deterministic random source (mulberry32). */
export class Rng {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** The seed of a fuzz test: `KILN_FUZZ_SEED` or the test's own. */
export function fuzzSeed(own: number): number {
  const env = Number(Deno.env.get("KILN_FUZZ_SEED"));
  return Number.isFinite(env) && env > 0 ? env : own;
}

const ODD_STRINGS = [
  "",
  " ",
  "../../etc/passwd",
  "..",
  "‥/x",
  "．．/x",
  "a\u202eb",
  "\u0000",
  "\ud800",
  "💥".repeat(50),
  "{{ 7*7 }}",
  "${{7*7}}",
  "'; DROP TABLE x; --",
  "<script>alert(1)</script>",
  "a".repeat(5_000),
  "-eyJ".repeat(2_000),
  "((((((((((((((((((((((((((((((a",
  "\\",
  '"',
  "%00",
  "constructor",
  "__proto__",
  "NaN",
  "null",
  "kiln_exec_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

/** A random string: usually short and printable, sometimes hostile. */
export function randomString(rng: Rng): string {
  if (rng.chance(0.3)) return rng.pick(ODD_STRINGS);
  const len = rng.chance(0.05) ? rng.int(1_000, 20_000) : rng.int(0, 24);
  let s = "";
  for (let i = 0; i < len; i++) {
    const r = rng.next();
    s += r < 0.8
      ? String.fromCharCode(rng.int(0x20, 0x7e))
      : r < 0.95
      ? String.fromCharCode(rng.int(0xa0, 0x2fff))
      : String.fromCharCode(rng.int(0, 0x1f));
  }
  return s;
}

/** Nested arrays or objects `depth` deep (the shape that overflows recursive code). */
export function deepValue(depth: number, object = false): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = object ? { a: v } : [v];
  return v;
}

/** Sets a key as data, even `__proto__`, which must reach Kiln as a plain key. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A random JSON value of at most about `budget.nodes` nodes (deep or long ones included). */
export function randomJson(rng: Rng, depth = 0, budget = { nodes: 5_000 }): unknown {
  budget.nodes--;
  const r = rng.next();
  if (budget.nodes > 0 && rng.chance(depth === 0 ? 0.05 : 0.02)) {
    const d = Math.min(budget.nodes, rng.int(200, 5_000));
    budget.nodes -= d;
    return deepValue(d, rng.chance(0.5));
  }
  if (depth > 4 || budget.nodes <= 0 || r < 0.15) {
    return rng.pick([null, true, false, 0, -1, 1e308, 2 ** 53 + 1, 0.5]);
  }
  if (r < 0.45) return randomString(rng);
  if (r < 0.7) {
    const length = rng.chance(0.05) ? rng.int(500, 3_000) : rng.int(0, 4);
    return Array.from({ length }, () => randomJson(rng, depth + 1, budget));
  }
  const out: Record<string, unknown> = {};
  for (let i = rng.int(0, 5); i > 0; i--) {
    put(out, randomString(rng), randomJson(rng, depth + 1, budget));
  }
  return out;
}

// deno-lint-ignore no-explicit-any -- JSON Schema documents are untyped here
type Schema = any;

/**
 * A value shaped by a JSON Schema (OpenAPI 3.1 flavour, `$ref`s into `root`), then mutated
 * with probability `mutate` at each level: a field dropped, retyped or replaced by something
 * hostile. Mostly-valid input reaches deeper code than random noise does.
 */
export function fromSchema(
  rng: Rng,
  schema: Schema,
  root: Schema,
  mutate = 0.15,
  depth = 0,
  budget = { nodes: 10_000 },
): unknown {
  if (rng.chance(mutate) || depth > 6) return randomJson(rng, depth + 2, budget);
  if (!schema || typeof schema !== "object") return randomJson(rng, depth, budget);
  if (schema.$ref) {
    const path = String(schema.$ref).replace(/^#\//, "").split("/");
    let target = root;
    for (const p of path) target = target?.[p];
    return fromSchema(rng, target, root, mutate, depth + 1, budget);
  }
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options) && options.length) {
    return fromSchema(rng, rng.pick(options), root, mutate, depth + 1, budget);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    return fromSchema(rng, schema.allOf[0], root, mutate, depth + 1, budget);
  }
  if (schema.enum) return rng.pick(schema.enum);
  if ("const" in schema) return schema.const;
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case "string":
      return rng.chance(0.6) && schema.example ? schema.example : randomString(rng);
    case "integer":
      return rng.pick([0, 1, 10, -1, 1000, 2 ** 31]);
    case "number":
      return rng.pick([0, 1.5, -3, 1e9]);
    case "boolean":
      return rng.chance(0.5);
    case "null":
      return null;
    case "array":
      return Array.from(
        { length: rng.int(0, 3) },
        () => fromSchema(rng, schema.items, root, mutate, depth + 1, budget),
      );
    case "object":
    default: {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      for (const [name, sub] of Object.entries(props)) {
        if (!required.has(name) && rng.chance(0.4)) continue;
        put(out, name, fromSchema(rng, sub, root, mutate, depth + 1, budget));
      }
      if (schema.additionalProperties && rng.chance(0.3)) {
        put(
          out,
          randomString(rng),
          fromSchema(
            rng,
            schema.additionalProperties === true ? {} : schema.additionalProperties,
            root,
            mutate,
            depth + 1,
            budget,
          ),
        );
      }
      return out;
    }
  }
}

/** One fuzz case's outcome, for the failure report. */
export interface CaseResult {
  label: string;
  status: number;
  ms: number;
  body: string;
}

/**
 * Runs `oneCase` with fresh cases until `ms` have passed (at least `minCases`); collects every
 * case that failed `accept` or took longer than `budgetMs`, and fails with the first few, naming
 * the seed.
 */
export async function fuzzFor(
  opts: { seed: number; ms: number; minCases?: number; budgetMs: number },
  oneCase: (rng: Rng, i: number) => Promise<CaseResult>,
  accept: (r: CaseResult) => boolean,
): Promise<{ cases: number; slowest: number; statuses: Record<number, number> }> {
  const rng = new Rng(opts.seed);
  const bad: string[] = [];
  const statuses = new Map<number, number>();
  const until = Date.now() + opts.ms;
  let cases = 0, slowest = 0;
  while (Date.now() < until || cases < (opts.minCases ?? 1)) {
    const r = await oneCase(rng, cases);
    cases++;
    slowest = Math.max(slowest, r.ms);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (!accept(r) || r.ms > opts.budgetMs) {
      bad.push(
        `#${cases - 1} ${r.label}: ${r.status} in ${r.ms.toFixed(0)} ms: ${r.body.slice(0, 300)}`,
      );
    }
  }
  assert.deepEqual(
    bad.slice(0, 8),
    [],
    `seed ${opts.seed}: ${bad.length} of ${cases} cases failed`,
  );
  return { cases, slowest, statuses: Object.fromEntries(statuses) };
}

/** Not a server error: below 500, or a 503 that says which service is not configured. */
export function noServerError(r: CaseResult): boolean {
  if (r.status < 500) return true;
  if (r.status === 503) return /LLM_NOT_CONFIGURED|UNAVAILABLE|TIER_UNAVAILABLE/.test(r.body);
  return false;
}

/** Times one fetch and reads its body. */
export async function timedFetch(
  label: string,
  url: string,
  init: RequestInit,
): Promise<CaseResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    return { label, status: res.status, ms: performance.now() - started, body };
  } catch (err) {
    return { label, status: 599, ms: performance.now() - started, body: String(err) };
  }
}
