/**
 * The budget every CEL evaluation runs under (contract §7 promises a safe, non-Turing-complete
 * subset; on its own, cel-js will happily build a 27-million-element list from a 2 KB body, or a
 * 529-million-character string from `s.split('').join(s)`). cel-js evaluates by walking the tree,
 * each node through `evaluator.run(node, ctx)`; `meterEvaluator` replaces `run` on Kiln's
 * evaluator so that every node is counted, every function and operator is charged for the data
 * it reads and makes, and the operations whose result can dwarf their input (`join`, `split`,
 * `+`) are checked against what is left before they run. `matches()` runs on the linear regex
 * engine instead of V8's backtracking one, and `duration()` (whose parser backtracks
 * cubically) refuses long strings. This hooks internals of the pinned cel-js version;
 * `expression_test.ts` pins the behaviour.
 */
import { LIMITS, type LinearRegex, linearRegex, RegexMeter } from "../core/mod.ts";

/** Which budget an evaluation crossed, and by how much. */
export class BudgetExceeded extends Error {
  override readonly name = "BudgetExceeded";
  constructor(readonly limit: string, readonly budget: number, message: string) {
    super(message);
  }
}

/** The counters of one evaluation. */
export class ExpressionMeter {
  steps = 0;
  bytes = 0;
  elements = 0;
  readonly regex = new RegexMeter();
  /** The first budget crossed; once set, the evaluation is over whatever CEL's error handling does. */
  exceeded: BudgetExceeded | null = null;
  readonly #weights = new WeakMap<object, number>();

  step(): void {
    if (++this.steps > LIMITS["expression.steps"]) {
      this.#fail("expression.steps", `it took more than ${LIMITS["expression.steps"]} steps`);
    }
  }

  chargeBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > LIMITS["expression.bytes"]) {
      this.#fail(
        "expression.bytes",
        `it read or produced more than ${LIMITS["expression.bytes"]} characters`,
      );
    }
  }

  chargeElements(n: number): void {
    this.elements += n;
    if (this.elements > LIMITS["expression.elements"]) {
      this.#fail(
        "expression.elements",
        `it built more than ${LIMITS["expression.elements"]} list elements and map entries`,
      );
    }
  }

  bytesLeft(): number {
    return LIMITS["expression.bytes"] - this.bytes;
  }

  elementsLeft(): number {
    return LIMITS["expression.elements"] - this.elements;
  }

  fail(limit: string, budget: number, message: string): never {
    this.exceeded ??= new BudgetExceeded(limit, budget, message);
    throw this.exceeded;
  }

  /** The size of a value all the way down (what comparing it may read); cached per object. */
  deepWeight(value: unknown): number {
    if (value === null || typeof value !== "object") return shallowWeight(value);
    const known = this.#weights.get(value);
    if (known !== undefined) return known;
    let total = 0;
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (v === null || typeof v !== "object" || v instanceof Uint8Array) {
        total += shallowWeight(v);
        continue;
      }
      total += CONTAINER;
      if (Array.isArray(v) || v instanceof Set) { for (const x of v) stack.push(x); }
      else if (v instanceof Map) { for (const [k, x] of v) stack.push(k, x); }
      else for (const k in v) stack.push(k, (v as Record<string, unknown>)[k]);
    }
    this.#weights.set(value, total);
    return total;
  }

  #fail(limit: keyof typeof LIMITS, message: string): never {
    return this.fail(limit, LIMITS[limit], message);
  }
}

/** Roughly what a scalar and an object or list cost in memory: the unit of `expression.bytes`. */
const SCALAR = 8;
const CONTAINER = 64;

/** What a value costs to read once: a string's characters, a list's or map's slots, a scalar's 8. */
export function shallowWeight(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || typeof value !== "object" || value instanceof Date) return SCALAR;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return CONTAINER + SCALAR * value.length;
  if (value instanceof Map || value instanceof Set) return CONTAINER + SCALAR * value.size;
  let n = CONTAINER;
  for (const _ in value) n += SCALAR;
  return n;
}

function collectionSize(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.keys(value).length;
  }
  return 0;
}

interface Node {
  op: string;
  args: unknown;
  meta: { alternate?: unknown; macro?: unknown };
  receiverWithArgs?: Node[];
  evaluate(ev: Evaluator, ast: Node, ctx: unknown): unknown;
  // deno-lint-ignore no-explicit-any
  handle: (...args: any[]) => unknown;
}
interface Evaluator {
  run(ast: Node, ctx: unknown): unknown;
}

let current: ExpressionMeter | null = null;

/** Runs `fn` with `meter` charged by every node the hooked evaluator visits. */
export function metered<T>(meter: ExpressionMeter, fn: () => T): T {
  const outer = current;
  current = meter;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);
const ARITHMETIC = new Set(["+", "-", "*", "/", "%"]);
const patterns = new Map<string, LinearRegex | Error>();

/** Puts the meter on `ev` (the environment's one evaluator instance). */
export function meterEvaluator(ev: Evaluator): void {
  ev.run = function run(ast: Node, ctx: unknown): unknown {
    const m = current;
    if (!m) return ast.evaluate(this, ast, ctx);
    if (m.exceeded) throw m.exceeded;
    m.step();
    const plain = !ast.meta.alternate && !ast.meta.macro;
    if (plain && ast.op === "rcall") return rcall(this, m, ast, ctx);
    if (plain && ast.op === "call") return call(this, m, ast, ctx);
    if (plain && (COMPARISONS.has(ast.op) || ARITHMETIC.has(ast.op) || ast.op === "in")) {
      return binary(this, m, ast, ctx);
    }
    const value = ast.evaluate(this, ast, ctx);
    if (ast.op === "comprehension" || ast.op === "list" || ast.op === "map") {
      m.chargeElements(collectionSize(value));
    }
    return value;
  };
}

function evaluateAll(ev: Evaluator, nodes: Node[], ctx: unknown): unknown[] {
  const out = new Array(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) out[i] = ev.run(nodes[i], ctx);
  return out;
}

function chargeResult(m: ExpressionMeter, value: unknown): unknown {
  m.chargeBytes(shallowWeight(value));
  const size = collectionSize(value);
  if (size > 0) m.chargeElements(size);
  return value;
}

function rcall(ev: Evaluator, m: ExpressionMeter, ast: Node, ctx: unknown): unknown {
  const name = (ast.args as unknown[])[0] as string;
  const args = evaluateAll(ev, ast.receiverWithArgs!, ctx);
  for (const a of args) m.chargeBytes(shallowWeight(a));
  const [receiver, first] = args;
  if (name === "matches" && typeof receiver === "string" && typeof first === "string") {
    return matches(m, receiver, first);
  }
  if (name === "join" && Array.isArray(receiver)) {
    const sep = typeof first === "string" ? first.length : 0;
    let size = Math.max(0, receiver.length - 1) * sep;
    for (const part of receiver) size += typeof part === "string" ? part.length : 0;
    if (size > m.bytesLeft()) {
      m.fail(
        "expression.bytes",
        LIMITS["expression.bytes"],
        `join() would build ${size} characters, more than the ${m.bytesLeft()} left`,
      );
    }
  }
  if (name === "split" && typeof receiver === "string" && typeof first === "string") {
    const left = m.elementsLeft();
    // Splitting stops one past what is left, so the list never grows beyond the budget.
    const parts = receiver.split(first, left + 1);
    if (parts.length > left) {
      m.fail(
        "expression.elements",
        LIMITS["expression.elements"],
        `split() would build more than the ${left} list elements left`,
      );
    }
    if (args.length === 2) return chargeResult(m, parts); // what cel-js's split() answers
  }
  return chargeResult(m, ast.handle(args, ev, ast));
}

function call(ev: Evaluator, m: ExpressionMeter, ast: Node, ctx: unknown): unknown {
  const [name, argNodes] = ast.args as [string, Node[]];
  const args = evaluateAll(ev, argNodes, ctx);
  for (const a of args) m.chargeBytes(shallowWeight(a));
  if (
    name === "duration" && typeof args[0] === "string" &&
    args[0].length > LIMITS["expression.argument"]
  ) {
    m.fail(
      "expression.argument",
      LIMITS["expression.argument"],
      `duration() takes at most ${LIMITS["expression.argument"]} characters, got ${args[0].length}`,
    );
  }
  // cel-js converts any finite double, so `int(1e300)` would be a 997-bit "int": CEL's int is
  // 64-bit, and a double outside it is an overflow.
  if (name === "int" && typeof args[0] === "number" && !(Math.abs(args[0]) < 2 ** 63)) {
    throw new Error(`int() type error: integer overflow (${args[0]} is outside 64 bits)`);
  }
  return chargeResult(m, ast.handle(args, ast, ev));
}

function binary(ev: Evaluator, m: ExpressionMeter, ast: Node, ctx: unknown): unknown {
  const [leftNode, rightNode] = ast.args as [Node, Node];
  const left = ev.run(leftNode, ctx);
  const right = ev.run(rightNode, ctx);
  if (ast.op === "==" || ast.op === "!=") {
    m.chargeBytes(Math.min(m.deepWeight(left), m.deepWeight(right)));
  } else if (ast.op === "in") {
    m.chargeBytes(shallowWeight(left) + (Array.isArray(right) ? m.deepWeight(right) : 1));
  } else {
    m.chargeBytes(shallowWeight(left) + shallowWeight(right));
  }
  if (ast.op === "+") {
    if (typeof left === "string" && typeof right === "string") {
      const size = left.length + right.length;
      if (size > m.bytesLeft()) {
        m.fail(
          "expression.bytes",
          LIMITS["expression.bytes"],
          `string concatenation would build ${size} characters, more than the ${m.bytesLeft()} left`,
        );
      }
    } else if (Array.isArray(left) && Array.isArray(right)) {
      const size = left.length + right.length;
      if (size > m.elementsLeft()) {
        m.fail(
          "expression.elements",
          LIMITS["expression.elements"],
          `list concatenation would build ${size} elements, more than the ${m.elementsLeft()} left`,
        );
      }
    }
  }
  return chargeResult(m, ast.handle(left, right, ast, ev));
}

function matches(m: ExpressionMeter, text: string, pattern: string): boolean {
  if (pattern.length > LIMITS["expression.pattern"]) {
    m.fail(
      "expression.pattern",
      LIMITS["expression.pattern"],
      `matches() takes patterns of at most ${LIMITS["expression.pattern"]} characters`,
    );
  }
  let re = patterns.get(pattern);
  if (!re) {
    try {
      re = linearRegex(pattern, { dialect: "re2" });
    } catch (err) {
      re = new Error(`Invalid regular expression: ${pattern}: ${(err as Error).message}`);
    }
    if (patterns.size >= 256) patterns.delete(patterns.keys().next().value!);
    patterns.set(pattern, re);
  }
  if (re instanceof Error) throw re;
  if (!m.regex.tryCharge(re, text.length)) {
    m.fail(
      "regex.work",
      m.regex.limit,
      `matches() over ${text.length} characters would cross the regex budget`,
    );
  }
  return re.test(text);
}
