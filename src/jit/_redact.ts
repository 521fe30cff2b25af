import { type LinearRegex, linearRegex, type RegexMeter } from "../core/mod.ts";
import type { SamplingConfig } from "../models/mod.ts";

type Rule = SamplingConfig["redact"][number];

/**
 * Shapes of credentials that must never reach a stored sample, whatever an app configures. Each
 * has a literal every match contains, checked first (natively, in one pass), so text without it
 * costs no regex work. All patterns — these and the app's — run on the linear engine, compiled on
 * first use: compiled at load time they were a visible share of `kiln serve` start-up.
 */
const SECRET_PATTERNS: { literal: string; lower?: true; source: string; flags?: string }[] = [
  { literal: "kiln_", source: String.raw`kiln_(?:exec_)?[A-Za-z0-9_-]{12,}` },
  { literal: "sk-", source: String.raw`\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}` },
  {
    literal: "bearer",
    lower: true,
    source: String.raw`\bBearer\s+[A-Za-z0-9._~+/=-]{8,}`,
    flags: "i",
  },
  { literal: "AKIA", source: String.raw`\bAKIA[0-9A-Z]{16}\b` },
  {
    literal: "eyJ",
    source: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
  },
  {
    literal: "-----BEGIN ",
    source: String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`,
  },
];
const secretRegexes = new Map<string, LinearRegex>();
function secretRegex(secret: (typeof SECRET_PATTERNS)[number]): LinearRegex {
  let re = secretRegexes.get(secret.literal);
  if (!re) {
    re = linearRegex(secret.source, secret.flags ? { flags: secret.flags } : undefined);
    secretRegexes.set(secret.literal, re);
  }
  return re;
}
/** Field names whose values are secrets by convention. */
const SECRET_KEYS =
  /^(password|passwd|secret|token|api[-_]?key|authorization|cookie|set-cookie|client[-_]?secret|private[-_]?key)$/i;
const MASK = "[redacted]";
/** Values nested deeper than this are masked whole rather than walked. */
const MAX_DEPTH = 32;

/** An app's pattern rules, compiled once per rule set. */
const compiled = new Map<string, { re: LinearRegex; to: string }[]>();

/** Compiles an app's pattern rules; VALIDATION_ERROR for a pattern the linear engine refuses. */
export function compileRules(rules: readonly Rule[]): { re: LinearRegex; to: string }[] {
  const key = JSON.stringify(rules);
  let patterns = compiled.get(key);
  if (!patterns) {
    patterns = rules.flatMap((r) =>
      "pattern" in r ? [{ re: linearRegex(r.pattern, { flags: r.flags }), to: r.replacement }] : []
    );
    if (compiled.size >= 256) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, patterns);
  }
  return patterns;
}

/**
 * Scrubs one sampled pair before it is stored: credentials by shape and by field name always,
 * then the app's own rules (JSON paths to blank, patterns to mask). Returns new values; the
 * caller's objects are not touched. Every pattern scan is charged to `meter`, which throws
 * (RegexBudgetError) rather than let a sample cost more than `regex.work`.
 */
export function redactPair(
  input: unknown,
  output: unknown,
  rules: readonly Rule[],
  meter?: RegexMeter,
): { input: unknown; output: unknown } {
  const patterns = compileRules(rules);
  const clean = (v: unknown) => scrub(v, patterns, 0, meter);
  const pair = { input: clean(input), output: clean(output) } as Record<string, unknown>;
  for (const rule of rules) if ("path" in rule) blank(pair, rule.path, rule.replacement);
  return pair as { input: unknown; output: unknown };
}

function scrubText(
  value: string,
  patterns: { re: LinearRegex; to: string }[],
  meter?: RegexMeter,
): string {
  let text = value;
  let lower: string | undefined;
  for (const secret of SECRET_PATTERNS) {
    const haystack = secret.lower ? (lower ??= text.toLowerCase()) : text;
    if (!haystack.includes(secret.literal)) continue;
    const re = secretRegex(secret);
    if (re.test(text, meter)) {
      text = re.replace(text, MASK, meter);
      lower = undefined;
    }
  }
  for (const p of patterns) if (p.re.test(text, meter)) text = p.re.replace(text, p.to, meter);
  return text;
}

function scrub(
  value: unknown,
  patterns: { re: LinearRegex; to: string }[],
  depth: number,
  meter?: RegexMeter,
): unknown {
  if (typeof value === "string") return scrubText(value, patterns, meter);
  if (!value || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => scrub(v, patterns, depth + 1, meter));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== null && v !== ""
      ? MASK
      : scrub(v, patterns, depth + 1, meter);
  }
  return out;
}

/** Replaces the value at `input.a.b[0]` (when present) with `to`. */
function blank(root: Record<string, unknown>, path: string, to: string): void {
  const parts = [...path.matchAll(/([A-Za-z0-9_$-]+)|\[(\d+)\]/g)].map((m) => m[1] ?? Number(m[2]));
  let node: unknown = root;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!node || typeof node !== "object") return;
    node = (node as Record<string | number, unknown>)[parts[i]];
  }
  const last = parts.at(-1)!;
  if (node && typeof node === "object" && Object.hasOwn(node, last)) {
    (node as Record<string | number, unknown>)[last] = to;
  }
}
