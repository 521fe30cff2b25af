/**
 * The expression language of contract §7 (ADR 0008): CEL through `@marcbachmann/cel-js`, with the
 * workflow's roots declared and `defined(path)` added as a macro. Expressions are parsed and
 * type-checked once when a workflow loads; evaluation only walks the compiled tree, under the
 * budgets of `_expression_budget.ts` (steps, characters, elements, regex work).
 */
import { Environment } from "@marcbachmann/cel-js";
import { type JsonValue, KilnError, quote } from "../core/mod.ts";
import {
  type BudgetExceeded,
  ExpressionMeter,
  metered,
  meterEvaluator,
} from "./_expression_budget.ts";

/** The names an expression may start from; `item` and `index` exist inside `map` iterators. */
export const EXPRESSION_ROOTS = [
  "trigger",
  "steps",
  "step",
  "context",
  "workflow",
  "item",
  "index",
];

/** The values an expression sees. */
export type Scope = Partial<Record<(typeof EXPRESSION_ROOTS)[number], unknown>>;

/** A parsed, checked expression. */
export interface Expression {
  readonly source: string;
  /** Step ids it reads through `steps.<id>` or `steps['<id>']`. */
  readonly stepRefs: ReadonlySet<string>;
  /** Evaluates to a JSON value; EXPRESSION_ERROR quoting the expression when it cannot. */
  evaluate(scope: Scope): JsonValue;
}

interface Ast {
  op: string;
  args: unknown;
}

interface Checker {
  check(node: unknown, ctx: unknown): unknown;
  getType(name: string): unknown;
}
interface Macro {
  arg: unknown;
  async: false;
  typeCheck(checker: Checker, macro: Macro, ctx: unknown): unknown;
  evaluate(evaluator: { run(node: unknown, ctx: unknown): unknown }, m: Macro, c: unknown): unknown;
}

const env = new Environment({
  unlistedVariablesAreDyn: false,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: 1000, maxDepth: 48, maxListElements: 256, maxMapEntries: 256 },
});
for (const root of EXPRESSION_ROOTS) env.registerVariable(root, "dyn");
let evaluatorOf: ((ev: unknown) => void) | null = null;
env.registerFunction("defined(ast): bool", ({ args }: { args: unknown[] }): Macro => ({
  arg: args[0],
  async: false,
  typeCheck(checker, macro, ctx) {
    checker.check(macro.arg, ctx);
    return checker.getType("bool");
  },
  evaluate(evaluator, macro, ctx) {
    evaluatorOf?.(evaluator);
    try {
      return evaluator.run(macro.arg, ctx) !== undefined;
    } catch {
      return false;
    }
  },
}));

// The environment's evaluator is private to cel-js; a macro is handed it, so one evaluation of
// `defined()` here reaches it and puts the meter on it before any workflow expression runs.
evaluatorOf = (ev) => meterEvaluator(ev as Parameters<typeof meterEvaluator>[0]);
env.evaluate("defined(trigger)", {});
evaluatorOf = null;

/** Parses and type-checks `source`; VALIDATION_ERROR naming the problem when it is not valid. */
export function compileExpression(source: string): Expression {
  if (typeof source !== "string" || source.trim() === "") {
    throw new KilnError("VALIDATION_ERROR", `an expression must be a non-empty string`);
  }
  let run: ((ctx: unknown) => unknown) & { ast: Ast };
  try {
    run = env.parse(source) as typeof run;
  } catch (err) {
    throw invalid(source, err);
  }
  const checked = env.check(source);
  if (!checked.valid) throw invalid(source, checked.error);
  const stepRefs = new Set<string>();
  collectStepRefs(run.ast, stepRefs);
  const roots = new Set<string>();
  collectRoots(run.ast, roots);
  // Reading nothing but the request, a failure is the caller's input at fault: a 4xx.
  const onlyTrigger = roots.size === 1 && roots.has("trigger");
  // cel-js evaluates the root node without `evaluator.run`, so the metered walk would miss it:
  // the expression is evaluated as the argument of an identity call instead.
  run = env.parse(`dyn(\n${source}\n)`) as typeof run;
  return {
    source,
    stepRefs,
    evaluate(scope: Scope): JsonValue {
      const meter = new ExpressionMeter();
      let value: unknown;
      let failure: unknown = null;
      try {
        value = metered(meter, () => run(scope));
      } catch (err) {
        failure = err;
      }
      // A budget crossed inside `||`, `exists()` or `defined()` is caught by CEL's own error
      // handling; the evaluation is over all the same.
      if (meter.exceeded) throw overBudget(source, meter.exceeded);
      if (failure !== null && onlyTrigger) {
        throw new KilnError(
          "VALIDATION_ERROR",
          `the request does not fit expression ${quote(source)}: ${firstLine(failure)}`,
          { expression: source, reason: firstLine(failure), blame: "input" },
        );
      }
      if (failure !== null) {
        throw new KilnError(
          "EXPRESSION_ERROR",
          `expression ${quote(source)} failed: ${firstLine(failure)}`,
          { expression: source, reason: firstLine(failure) },
        );
      }
      return toJson(value);
    },
  };
}

/** CEL values as JSON: integers arrive as BigInt, maps may be `Map`s, bytes `Uint8Array`s. */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "bigint":
      return Number(value);
    case "number":
      return Number.isFinite(value) ? value : null;
    case "string":
    case "boolean":
      return value;
    case "object":
      break;
    default:
      return String(value);
  }
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  }
  if (value instanceof Uint8Array) return btoa(String.fromCharCode(...value));
  if (value instanceof Date) return value.toISOString();
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return String(value);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
  return out;
}

function collectStepRefs(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => collectStepRefs(n, into));
  if (!node || typeof node !== "object" || !("op" in node)) return;
  const { op, args } = node as Ast;
  if ((op === "." || op === "[]") && Array.isArray(args)) {
    const [target, key] = args as [Ast, unknown];
    if (target?.op === "id" && target.args === "steps") {
      const id = typeof key === "string"
        ? key
        : (key as Ast)?.op === "value"
        ? (key as Ast).args
        : null;
      if (typeof id === "string") into.add(id);
    }
  }
  collectStepRefs(args, into);
}

/** The variables (`trigger`, `steps`, …) an expression reads. */
function collectRoots(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => collectRoots(n, into));
  if (!node || typeof node !== "object" || !("op" in node)) return;
  const { op, args } = node as Ast;
  if (op === "id" && typeof args === "string") into.add(args);
  collectRoots(args, into);
}

function overBudget(source: string, err: BudgetExceeded): KilnError {
  return new KilnError(
    "EXPRESSION_ERROR",
    `expression ${quote(source)} was stopped: ${err.message} (budget ${err.limit})`,
    { expression: source, reason: err.message, limit: err.limit, budget: err.budget },
  );
}

function invalid(source: string, err: unknown): KilnError {
  return new KilnError(
    "VALIDATION_ERROR",
    `invalid expression ${quote(source)}: ${firstLine(err)}`,
    { expression: source, reason: firstLine(err) },
  );
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
