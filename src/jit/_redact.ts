import type { SamplingConfig } from "../models/mod.ts";

type Rule = SamplingConfig["redact"][number];

/** Shapes of credentials that must never reach a stored sample, whatever an app configures. */
const SECRET_PATTERNS: RegExp[] = [
  /kiln_(?:exec_)?[A-Za-z0-9_-]{12,}/g,
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];
/** Field names whose values are secrets by convention. */
const SECRET_KEYS =
  /^(password|passwd|secret|token|api[-_]?key|authorization|cookie|set-cookie|client[-_]?secret|private[-_]?key)$/i;
const MASK = "[redacted]";

/**
 * Scrubs one sampled pair before it is stored: credentials by shape and by field name always,
 * then the app's own rules (JSON paths to blank, patterns to mask). Returns new values; the
 * caller's objects are not touched.
 */
export function redactPair(
  input: unknown,
  output: unknown,
  rules: readonly Rule[],
): { input: unknown; output: unknown } {
  const patterns = rules.flatMap((r) =>
    "pattern" in r ? [{ re: new RegExp(r.pattern, `g${r.flags}`), to: r.replacement }] : []
  );
  const clean = (v: unknown) => scrub(v, patterns, 0);
  const pair = { input: clean(input), output: clean(output) } as Record<string, unknown>;
  for (const rule of rules) if ("path" in rule) blank(pair, rule.path, rule.replacement);
  return pair as { input: unknown; output: unknown };
}

function scrub(value: unknown, patterns: { re: RegExp; to: string }[], depth: number): unknown {
  if (typeof value === "string") {
    let text = value;
    for (const re of SECRET_PATTERNS) text = text.replace(re, MASK);
    for (const p of patterns) text = text.replace(p.re, p.to);
    return text;
  }
  if (!value || typeof value !== "object" || depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, patterns, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== null && v !== "" ? MASK : scrub(v, patterns, depth + 1);
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
