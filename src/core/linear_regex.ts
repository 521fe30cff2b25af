/**
 * The one regex engine for patterns apps and callers write (workflow `matches()`, JSON Schema
 * `pattern`, redaction rules): RE2 semantics through re2js, whose matching time is linear in the
 * input, so no pattern can backtrack catastrophically on Kiln's thread. Linear is not free — the
 * engine's cost grows with input length times the compiled program's size — so every match is
 * charged to a `RegexMeter` before it runs, and a meter that would overrun refuses the match.
 */
import type { RE2JS } from "re2js";
import { KilnError, quote } from "./errors/mod.ts";
import { LIMITS } from "./limits.ts";
import { SERVE_PROCESS } from "./serve_process.ts";

let engine: typeof RE2JS | undefined;

/**
 * Loads re2js (one 260 KB module). `kiln serve` calls it with the other definition engines before
 * their first use instead of at start-up (ADR 0029); every other process has it loaded when this
 * module is.
 */
export async function loadLinearRegex(): Promise<void> {
  engine ??= (await import("re2js")).RE2JS;
}

function lib(): typeof RE2JS {
  if (engine) return engine;
  throw new KilnError("INTERNAL", "the linear regex engine was used before it finished loading");
}

if (!SERVE_PROCESS) await loadLinearRegex();

/** A compiled pattern: test or replace, each charged to a meter first. */
export interface LinearRegex {
  readonly source: string;
  /** The compiled program's size (instructions): the per-character cost factor. */
  readonly size: number;
  /** True when the pattern matches anywhere in `text`. */
  test(text: string, meter?: RegexMeter): boolean;
  /** Every match replaced by `replacement`, taken literally. */
  replace(text: string, replacement: string, meter?: RegexMeter): string;
}

/** The pattern's dialect: `js` (ECMA-262, as JSON Schema and redaction rules) or `re2` (CEL). */
export type RegexDialect = "js" | "re2";

/** The budget `regex.work` for one evaluation, schema check or sample. */
export class RegexMeter {
  #left: number;
  constructor(readonly limit: number = LIMITS["regex.work"]) {
    this.#left = limit;
  }

  /** Work left, in characters times program size. */
  get left(): number {
    return this.#left;
  }

  /**
   * Charges a scan of `re` over `length` characters (`factor` times over for a scan that tracks
   * where matches are); false, with nothing charged, when it would overrun.
   */
  tryCharge(re: LinearRegex, length: number, factor = 1): boolean {
    const cost = (length + 1) * re.size * factor;
    if (cost > this.#left) return false;
    this.#left -= cost;
    return true;
  }
}

/** A match the meter refused: the budget is named, so callers can report it. */
export class RegexBudgetError extends KilnError {
  override readonly name = "RegexBudgetError";
  constructor(re: LinearRegex, length: number, meter: RegexMeter) {
    super(
      "LIMIT_EXCEEDED",
      `matching ${quote(re.source, 60)} against ${length} characters would cross the regex ` +
        `budget (${meter.limit} characters × pattern size)`,
      { limit: "regex.work", budget: meter.limit },
    );
  }
}

/**
 * Finding where matches are (for replacing) runs re2js's capturing engine, measured at up to ~8
 * times the cost of only testing for a match; it is charged that much more.
 */
const REPLACE_FACTOR = 8;

const FLAG_NAMES = { i: "CASE_INSENSITIVE", m: "MULTILINE", s: "DOTALL" } as const;

/**
 * Compiles `pattern` for the linear engine; VALIDATION_ERROR naming the pattern when it does
 * not compile — including constructs only a backtracking engine has (lookahead, backreferences).
 * Flags `i`, `m`, `s` are honoured; `g` and `u` change nothing (replacement is always global,
 * and matching always Unicode-aware).
 */
export function linearRegex(
  pattern: string,
  opts: { flags?: string; dialect?: RegexDialect } = {},
): LinearRegex {
  const RE2JS = lib();
  let flags = 0;
  for (const f of opts.flags ?? "") {
    if (Object.hasOwn(FLAG_NAMES, f)) flags |= RE2JS[FLAG_NAMES[f as keyof typeof FLAG_NAMES]];
  }
  let re: RE2JS;
  try {
    const source = opts.dialect === "re2" ? pattern : RE2JS.translateRegExp(pattern);
    re = RE2JS.compile(source, flags);
  } catch (err) {
    throw new KilnError(
      "VALIDATION_ERROR",
      `the pattern ${quote(pattern, 80)} is not supported: ${
        (err as Error).message.split("\n")[0]
      } (patterns run on a linear-time engine: no lookaround or backreferences)`,
      { pattern: pattern.slice(0, 200) },
    );
  }
  const size = Math.max(1, re.programSize());
  const charge = (self: LinearRegex, text: string, meter?: RegexMeter, factor = 1) => {
    if (meter && !meter.tryCharge(self, text.length, factor)) {
      throw new RegexBudgetError(self, text.length, meter);
    }
  };
  const self: LinearRegex = {
    source: pattern,
    size,
    test(text, meter) {
      charge(self, text, meter);
      return re.test(text);
    },
    replace(text, replacement, meter) {
      charge(self, text, meter, REPLACE_FACTOR);
      const m = re.matcher(text);
      let out = "";
      let from = 0;
      // The matcher steps past an empty match by itself, so this cannot stall.
      while (m.find()) {
        out += text.slice(from, m.start()) + replacement;
        from = m.end();
      }
      return out + text.slice(from);
    },
  };
  return self;
}
