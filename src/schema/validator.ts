import {
  KilnError,
  limitExceeded,
  LIMITS,
  quote,
  RegexBudgetError,
  RegexMeter,
  valueDepth,
} from "../core/mod.ts";
import { compileAlone, dialectOf, withMeter } from "./_ajv.ts";

/** One way a value misses its schema: where (a JSON pointer into the value) and why. */
export interface SchemaIssue {
  /** JSON pointer to the offending value; "" is the value itself. */
  pointer: string;
  message: string;
  /** The schema keyword that failed (`type`, `required`, …), or the budget crossed. */
  keyword?: string;
  /** Set when the check stopped at a budget instead of finishing (e.g. `regex.work`). */
  limit?: string;
}

export type SchemaCheck = { ok: true } | { ok: false; issues: SchemaIssue[] };

/** A compiled schema of one app at one revision. */
export interface SchemaValidator {
  validate(value: unknown): SchemaCheck;
}

/** The JSON Schemas the engine takes: an object schema or `true`/`false`. */
export type JsonSchema = Record<string, unknown> | boolean;

interface Entry {
  validator: SchemaValidator;
  size: number;
}

const MAX_ENTRIES = 512;
const MAX_BYTES = 16 << 20;
const cache = new Map<string, Entry>();
let cachedBytes = 0;
/** The same schema object (a memoized definition file) skips even serializing it. */
const byObject = new WeakMap<object, { scope: string; validator: SchemaValidator }>();

/**
 * The validator for `schema` as app `appId` has it at `revision`. Every app's schemas compile
 * on their own — an `$id` one app uses means nothing to another, nor to the app's next revision —
 * and compiled validators live in a cache bounded by count and size. Patterns run on the linear
 * regex engine, within `regex.work` per validation. Throws LIMIT_EXCEEDED for a schema over
 * `schema.bytes` or `schema.depth`, VALIDATION_ERROR for one that does not compile.
 */
export function validatorFor(
  appId: string,
  revision: string,
  schema: JsonSchema,
): SchemaValidator {
  const scope = `${appId}\0${revision}`;
  if (typeof schema === "object" && schema !== null) {
    const known = byObject.get(schema);
    if (known?.scope === scope) return known.validator;
  }
  const text = checkSize(schema);
  const key = `${scope}\0${text}`;
  let entry = cache.get(key);
  if (entry) {
    cache.delete(key);
    cache.set(key, entry);
  } else {
    entry = { validator: compile(schema), size: key.length };
    remember(key, entry);
  }
  if (typeof schema === "object" && schema !== null) {
    byObject.set(schema, { scope, validator: entry.validator });
  }
  return entry.validator;
}

/**
 * The problems that keep `schema` from compiling (empty: it compiles), for definition checks.
 * Every `$ref` must resolve inside the document (what is accepted here compiles when it is
 * used), unless `otherFiles` says refs to other files are checked elsewhere — once the files a
 * schema names are bundled into it.
 */
export function schemaIssues(schema: unknown, opts: { otherFiles?: boolean } = {}): SchemaIssue[] {
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null)) {
    return [{ pointer: "", message: "a JSON Schema must be an object or a boolean" }];
  }
  if (Array.isArray(schema)) {
    return [{ pointer: "", message: "a JSON Schema must be an object or a boolean" }];
  }
  if (dialectOf(schema) === null) {
    const declared = String((schema as { $schema?: unknown }).$schema);
    return [{ pointer: "/$schema", message: `unsupported $schema ${quote(declared)}` }];
  }
  try {
    checkSize(schema as JsonSchema);
    compileAlone(schema as JsonSchema, dialectOf(schema)!);
    return [];
  } catch (err) {
    const { missingRef: missing, missingSchema } = err as {
      missingRef?: string;
      missingSchema?: string;
    };
    if (missing !== undefined && opts.otherFiles && missingSchema) return [];
    if (missing !== undefined) {
      return [{
        pointer: "",
        message: `the $ref ${quote(missing)} does not resolve inside the schema`,
      }];
    }
    const limit = err instanceof KilnError ? (err.details as { limit?: string })?.limit : undefined;
    return [{
      pointer: "",
      message: err instanceof KilnError ? err.message : `invalid JSON Schema: ${message(err)}`,
      ...(limit ? { limit } : {}),
    }];
  }
}

function checkSize(schema: JsonSchema): string {
  const text = JSON.stringify(schema) ?? "null";
  if (text.length > LIMITS["schema.bytes"]) {
    throw limitExceeded(
      "schema.bytes",
      `the JSON Schema is ${text.length} bytes, over the ${LIMITS["schema.bytes"]} allowed`,
      { size: text.length },
    );
  }
  if (valueDepth(schema, LIMITS["schema.depth"]) > LIMITS["schema.depth"]) {
    throw limitExceeded(
      "schema.depth",
      `the JSON Schema nests deeper than ${LIMITS["schema.depth"]} levels`,
    );
  }
  return text;
}

function compile(schema: JsonSchema): SchemaValidator {
  let validate: ReturnType<typeof compileAlone>;
  try {
    validate = compileAlone(schema, dialectOf(schema) ?? "2020");
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError("VALIDATION_ERROR", `the JSON Schema does not compile: ${message(err)}`);
  }
  return {
    validate(value) {
      const meter = new RegexMeter();
      let ok: boolean;
      try {
        ok = withMeter(meter, () => validate(value) as boolean);
      } catch (err) {
        if (!(err instanceof RegexBudgetError)) throw err;
        return {
          ok: false,
          issues: [{ pointer: "", message: err.message, keyword: "pattern", limit: "regex.work" }],
        };
      }
      if (ok) return { ok: true };
      return {
        ok: false,
        issues: (validate.errors ?? []).map((e) => ({
          pointer: pointerOf(e.instancePath, e.params as Record<string, unknown>),
          message: e.message ?? e.keyword,
          keyword: e.keyword,
        })),
      };
    },
  };
}

/**
 * Where the problem is: a missing or unexpected property is pointed at by its own name (ajv
 * reports it at the object holding it).
 */
function pointerOf(at: string, params: Record<string, unknown>): string {
  const name = params?.missingProperty ?? params?.additionalProperty ??
    params?.unevaluatedProperty;
  if (typeof name !== "string") return at;
  return `${at}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

function remember(key: string, entry: Entry): void {
  cache.set(key, entry);
  cachedBytes += entry.size;
  while (cache.size > MAX_ENTRIES || cachedBytes > MAX_BYTES) {
    const [oldest, dropped] = cache.entries().next().value!;
    cache.delete(oldest);
    cachedBytes -= dropped.size;
  }
}

function message(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0];
}
