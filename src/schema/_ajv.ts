/**
 * Ajv as the schema engine uses it. Each compile gets a fresh Ajv instance, so nothing one schema
 * registers (its `$id`, its sub-schemas' ids, its patterns) is visible to any other schema, of the
 * same app or another; only the meta-schema checks, which register nothing, are shared. Patterns
 * (`pattern`, `patternProperties`) run on the linear regex engine and are charged to the meter of
 * the validation in progress.
 */
import type { Ajv, Options, ValidateFunction } from "ajv";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import type { Ajv2019 } from "ajv/dist/2019.js";
import type { Ajv2020 } from "ajv/dist/2020.js";
import { KilnError, linearRegex, type RegexMeter, SERVE_PROCESS } from "../core/mod.ts";

interface Engines {
  Ajv: typeof Ajv;
  Ajv2019: typeof Ajv2019;
  Ajv2020: typeof Ajv2020;
}

let engines: Engines | undefined;

/**
 * Loads ajv (CommonJS, ~60 ms of CPU to evaluate its three dialects). `kiln serve` calls it
 * before the first use instead of at start-up (ADR 0029); every other process has it loaded
 * when this module is.
 */
export async function loadSchemaEngine(): Promise<void> {
  if (engines) return;
  const [base, v2019, v2020] = await Promise.all([
    import("ajv"),
    import("ajv/dist/2019.js"),
    import("ajv/dist/2020.js"),
  ]);
  engines = { Ajv: base.Ajv, Ajv2019: v2019.Ajv2019, Ajv2020: v2020.Ajv2020 };
}

function lib(): Engines {
  if (engines) return engines;
  throw new KilnError("INTERNAL", "the JSON Schema engine was used before it finished loading");
}

if (!SERVE_PROCESS) await loadSchemaEngine();

export type Dialect = "2020" | "2019" | "07";

/** The dialect a schema declares; null for one the engine does not support. */
export function dialectOf(schema: unknown): Dialect | null {
  const declared = schema && typeof schema === "object"
    ? String((schema as { $schema?: unknown }).$schema ?? "")
    : "";
  if (declared === "" || declared.includes("2020-12")) return "2020";
  if (declared.includes("2019-09")) return "2019";
  if (/draft-0[67]/.test(declared)) return "07";
  return null;
}

let meter: RegexMeter | null = null;

/** Runs a validation with its regex work charged to `m`. */
export function withMeter<T>(m: RegexMeter, fn: () => T): T {
  const outer = meter;
  meter = m;
  try {
    return fn();
  } finally {
    meter = outer;
  }
}

const regExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const re = linearRegex(pattern, { flags });
    return { test: (text: string) => re.test(text, meter ?? undefined) };
  },
  { code: "linearRegex" },
);

const BASE: Options = {
  strict: false,
  allErrors: true,
  logger: false,
  validateSchema: false,
  addUsedSchema: false,
  code: { regExp },
};

function fresh(dialect: Dialect): Ajv {
  const { Ajv, Ajv2019, Ajv2020 } = lib();
  if (dialect === "2019") return new Ajv2019(BASE);
  if (dialect === "07") return new Ajv(BASE);
  return new Ajv2020(BASE);
}

/** Meta-schema checkers, one per dialect: they only ever validate schemas as data. */
const meta: Partial<Record<Dialect, Ajv>> = {};

/** Compiles `schema` alone in a new instance; throws ajv's error when it is not a valid schema. */
export function compileAlone(schema: object | boolean, dialect: Dialect): ValidateFunction {
  const { Ajv, Ajv2019, Ajv2020 } = lib();
  const checker = meta[dialect] ??= dialect === "2019"
    ? new Ajv2019({ strict: false, logger: false })
    : dialect === "07"
    ? new Ajv({ strict: false, logger: false })
    : new Ajv2020({ strict: false, logger: false });
  if (typeof schema === "object" && !checker.validateSchema(schema)) {
    throw new Error(`schema is invalid: ${checker.errorsText(checker.errors)}`);
  }
  return fresh(dialect).compile(schema);
}
