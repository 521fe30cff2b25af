/**
 * YAML within budgets. The `yaml` library is correct but not built for hostile input: its
 * duplicate-key check compares every key with every earlier one, alias resolution walks the
 * whole document per alias, and composition recurses once per nesting level. So every YAML text
 * Kiln reads from an app or a caller goes through here: bytes are checked first, then one pass
 * over the lexer's tokens counts them, anchors and aliases and watches the parser's nesting —
 * stopping at the first budget crossed, before any document is built — and only then is the
 * document composed, with duplicate keys found through a Set. Time is linear in the text. The
 * `…Async` forms run that first pass (most of the work) in slices that give the event loop back
 * every few milliseconds; only composing the document is one synchronous step.
 */
import type * as YamlLib from "yaml";
import type {
  CST,
  Document,
  LineCounter,
  Node as YamlNode,
  Parser,
  YAMLError,
  YAMLSeq,
} from "yaml";
import { KilnError } from "./errors/mod.ts";
import { limitExceeded, type LimitName, LIMITS } from "./limits.ts";
import { SERVE_PROCESS } from "./serve_process.ts";

let yaml: typeof YamlLib | undefined;

/**
 * Loads the `yaml` library (CommonJS, ~50 ms of CPU to evaluate). `kiln serve` calls it before
 * the first use instead of at start-up (ADR 0029); every other process has it loaded when this
 * module is.
 */
export async function loadYaml(): Promise<void> {
  yaml ??= await import("yaml");
}

function lib(): typeof YamlLib {
  if (yaml) return yaml;
  throw new KilnError("INTERNAL", "the YAML parser was used before loadYaml() finished");
}

if (!SERVE_PROCESS) await loadYaml();

/** Whether `node` is a YAML sequence (the library's own check, once it is loaded). */
export function isYamlSeq(node: unknown): node is YAMLSeq {
  return lib().isSeq(node);
}

/** One problem with a YAML text; `limit` names the budget when the text crossed one. */
export interface YamlProblem {
  message: string;
  line?: number;
  column?: number;
  limit?: LimitName;
}

/** The budgets one YAML text is held to; defaults from `LIMITS`. */
export interface YamlBudget {
  /** Characters (a lower bound on UTF-8 bytes, so callers checking bytes first agree). */
  bytes: number;
  depth: number;
  tokens: number;
  aliases: number;
}

/** A parsed document, or the problems that stopped it (never both). */
export type YamlParse =
  | { doc: Document.Parsed; problems: [] }
  | { doc?: undefined; problems: YamlProblem[] };

/** Parse options shared by every caller: strict syntax, YAML 1.2 core schema, no custom tags. */
export const YAML_OPTIONS = { strict: true, uniqueKeys: false, prettyErrors: false } as const;

export function defaultYamlBudget(): YamlBudget {
  return {
    bytes: LIMITS["definition.bytes"],
    depth: LIMITS["yaml.depth"],
    tokens: LIMITS["yaml.tokens"],
    aliases: LIMITS["yaml.aliases"],
  };
}

class Crossed extends Error {
  constructor(readonly problem: YamlProblem) {
    super(problem.message);
  }
}

const SCALAR_MARK = "\x1f";
const MAX_SYNTAX_ERRORS = 5;
/** How long the `…Async` parses hold the event loop at most before yielding it. */
const SLICE_MS = 5;
// The parser's stack holds the document and, per level, the collection and the item being built.
const STACK_BASE = 2;

/**
 * Parses one YAML document within `budget`. Budget crossings, syntax errors, unknown tags,
 * several documents and duplicate keys all come back as problems with their line.
 */
export function parseYamlDocument(text: string, budget: Partial<YamlBudget> = {}): YamlParse {
  const b = { ...defaultYamlBudget(), ...budget };
  if (text.length > b.bytes) return tooLarge(b);
  const { LineCounter, Parser } = lib();
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  try {
    return composeDocument(text, tokens(text, parser, b, lines), lines);
  } catch (err) {
    if (err instanceof Crossed) return { problems: [err.problem] };
    throw err;
  }
}

/** {@link parseYamlDocument} with its budget pass in event-loop slices (see the module doc). */
export async function parseYamlDocumentAsync(
  text: string,
  budget: Partial<YamlBudget> = {},
): Promise<YamlParse> {
  const b = { ...defaultYamlBudget(), ...budget };
  if (text.length > b.bytes) return tooLarge(b);
  const { LineCounter, Parser } = lib();
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  const scanner = new Scanner(parser, b, lines);
  const cst: CST.Token[] = [];
  let sliceStart = performance.now(), n = 0;
  try {
    for (const lexeme of new (lib().Lexer)().lex(text)) {
      for (const token of scanner.feed(lexeme)) cst.push(token);
      if (scanner.stopped) break;
      if ((++n & 255) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        sliceStart = performance.now();
      }
    }
    if (!scanner.stopped) { for (const token of parser.end()) cst.push(token); }
  } catch (err) {
    if (err instanceof Crossed) return { problems: [err.problem] };
    throw err;
  }
  return composeDocument(text, cst, lines);
}

function composeDocument(
  text: string,
  cst: Iterable<CST.Token>,
  lines: LineCounter,
): YamlParse {
  const composer = new (lib().Composer)(YAML_OPTIONS);
  let doc: Document.Parsed | undefined;
  const problems: YamlProblem[] = [];
  for (const next of composer.compose(cst, true, text.length)) {
    if (doc) {
      problems.push({ message: "the text holds multiple YAML documents; one is allowed" });
      break;
    }
    doc = next as Document.Parsed;
  }
  if (!doc) return { problems: [{ message: "the text holds no YAML document" }] };
  if (text.startsWith("\uFEFF\uFEFF")) {
    // A second mark would become part of the first key (`\uFEFFcomponents`), silently unknown.
    problems.push({ message: "the text starts with more than one byte-order mark", line: 1 });
  }
  for (const e of [...doc.errors, ...doc.warnings].slice(0, MAX_SYNTAX_ERRORS)) {
    problems.push(problemOf(e, lines));
  }
  if (problems.length === 0) problems.push(...keyAndTagProblems(doc, lines));
  return problems.length > 0 ? { problems } : { doc, problems: [] };
}

function tooLarge(b: YamlBudget): { problems: YamlProblem[] } {
  return crossed("definition.bytes", `the YAML text is larger than ${b.bytes} bytes`);
}

/**
 * The plain value of one YAML document within budgets (`undefined` for an empty one), or its
 * problems. Aliases expand only as far as `aliases` allows.
 */
export function parseYamlValue(
  text: string,
  budget: Partial<YamlBudget> = {},
): { value?: unknown; problems: YamlProblem[] } {
  return valueOf(parseYamlDocument(text, budget), budget);
}

/** {@link parseYamlValue} with its budget pass in event-loop slices. */
export async function parseYamlValueAsync(
  text: string,
  budget: Partial<YamlBudget> = {},
): Promise<{ value?: unknown; problems: YamlProblem[] }> {
  return valueOf(await parseYamlDocumentAsync(text, budget), budget);
}

function valueOf(
  parsed: YamlParse,
  budget: Partial<YamlBudget>,
): { value?: unknown; problems: YamlProblem[] } {
  if (!parsed.doc) return { problems: parsed.problems };
  const aliases = budget.aliases ?? LIMITS["yaml.aliases"];
  try {
    return { value: parsed.doc.toJS({ maxAliasCount: aliases }) ?? undefined, problems: [] };
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      return crossed(
        "yaml.aliases",
        `YAML aliases expand to more than ${aliases} nodes: ${firstLine(err.message)}`,
      );
    }
    return { problems: [{ message: firstLine((err as Error).message) }] };
  }
}

/**
 * The document of `text`, or a thrown error naming `what`: LIMIT_EXCEEDED (with the budget in
 * `details.limit`) for a budget crossed, VALIDATION_ERROR for anything else.
 */
export function yamlDocumentOrThrow(text: string, what: string): Document.Parsed {
  const parsed = parseYamlDocument(text);
  if (parsed.doc) return parsed.doc;
  throw yamlError(parsed.problems, what);
}

/** The plain value of `text` (undefined when empty), or a thrown error as for the document. */
export function yamlValueOrThrow(text: string, what: string): unknown {
  const parsed = parseYamlValue(text);
  if (parsed.problems.length === 0) return parsed.value;
  throw yamlError(parsed.problems, what);
}

/** {@link yamlDocumentOrThrow} with its budget pass in event-loop slices. */
export async function yamlDocumentOrThrowAsync(
  text: string,
  what: string,
): Promise<Document.Parsed> {
  const parsed = await parseYamlDocumentAsync(text);
  if (parsed.doc) return parsed.doc;
  throw yamlError(parsed.problems, what);
}

/** {@link yamlValueOrThrow} with its budget pass in event-loop slices. */
export async function yamlValueOrThrowAsync(text: string, what: string): Promise<unknown> {
  const parsed = await parseYamlValueAsync(text);
  if (parsed.problems.length === 0) return parsed.value;
  throw yamlError(parsed.problems, what);
}

function yamlError(problems: YamlProblem[], what: string): KilnError {
  const first = problems[0];
  const message = `${what} is not valid YAML: ${describeYamlProblem(first)}`;
  const issues = problems.map((p) => ({ message: describeYamlProblem(p) }));
  return first.limit
    ? limitExceeded(first.limit, message, { issues })
    : new KilnError("VALIDATION_ERROR", message, { issues });
}

/** Renders a problem as one line: `message (line L, column C)`. */
export function describeYamlProblem(p: YamlProblem): string {
  return p.line === undefined ? p.message : `${p.message} at line ${p.line}, column ${p.column}`;
}

/**
 * Feeds lexemes to the CST parser while counting them against the budget: throws `Crossed` at
 * the first budget crossed, and stops (`stopped`) after a few syntax errors.
 */
class Scanner {
  #count = 0;
  #anchors = 0;
  #aliases = 0;
  #errors = 0;
  #scalarNext = false;
  stopped = false;

  constructor(
    readonly parser: Parser,
    readonly budget: YamlBudget,
    readonly lines: LineCounter,
  ) {
    lines.addNewLine(0);
  }

  *feed(lexeme: string): Generator<CST.Token> {
    const b = this.budget;
    if (++this.#count > b.tokens) {
      this.#fail(
        "yaml.tokens",
        `the YAML text has more than ${b.tokens} tokens (values, indicators, lines)`,
      );
    }
    if (!this.#scalarNext && lexeme[0] === "*" && ++this.#aliases > b.aliases) {
      this.#fail("yaml.aliases", `the YAML text has more than ${b.aliases} aliases`);
    }
    if (!this.#scalarNext && lexeme[0] === "&" && ++this.#anchors > b.aliases) {
      this.#fail("yaml.aliases", `the YAML text has more than ${b.aliases} anchors`);
    }
    this.#scalarNext = lexeme === SCALAR_MARK;
    for (const token of this.parser.next(lexeme)) {
      yield token;
      // Syntax errors are reported, not recovered from: the first few say enough.
      if (token.type === "error" && ++this.#errors >= MAX_SYNTAX_ERRORS) {
        this.stopped = true;
        return;
      }
    }
    if (this.parser.stack.length - STACK_BASE > b.depth) {
      this.#fail("yaml.depth", `the YAML text nests deeper than ${b.depth} levels`);
    }
  }

  #fail(limit: LimitName, message: string): never {
    const { line, col } = this.lines.linePos(this.parser.offset);
    throw new Crossed({ message, line, column: col, limit });
  }
}

function* tokens(
  text: string,
  parser: Parser,
  b: YamlBudget,
  lines: LineCounter,
): Generator<CST.Token> {
  const scanner = new Scanner(parser, b, lines);
  for (const lexeme of new (lib().Lexer)().lex(text)) {
    yield* scanner.feed(lexeme);
    if (scanner.stopped) return;
  }
  yield* parser.end();
}

/** The tags of JSON-compatible values; others (`!!binary`, `!!set`, `!!timestamp`) are refused. */
const JSON_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * Keys are strings, unique per mapping as the JavaScript object will hold them; values carry no
 * tag beyond JSON's types. Anything else would arrive as another value than the author wrote
 * (a Buffer, an empty object, a Date, a key coerced to a string).
 */
function keyAndTagProblems(doc: Document.Parsed, lines: LineCounter): YamlProblem[] {
  const { isMap, isScalar, isSeq } = lib();
  const problems: YamlProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0 && problems.length < 10) {
    const node = stack.pop();
    const tag = (node as { tag?: string } | null)?.tag;
    if (tag !== undefined && !JSON_TAGS.has(tag)) {
      const shown = tag.replace("tag:yaml.org,2002:", "!!");
      problems.push(
        at(
          node as YamlNode,
          lines,
          `the tag ${shown} is not allowed; expected JSON-compatible values`,
        ),
      );
      continue;
    }
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        stack.push(pair.value);
        if (!isScalar(key)) {
          problems.push(at(key, lines, "mapping keys must be plain values"));
          continue;
        }
        if (typeof key.value !== "string") {
          const found = key.value === null || key.value === undefined ? "null" : typeof key.value;
          problems.push(
            at(key, lines, `mapping keys must be strings; found ${String(key.value)} (${found})`),
          );
          continue;
        }
        const name = key.value;
        if (seen.has(name)) {
          problems.push(
            at(key, lines, `duplicate key ${JSON.stringify(name)}; keys must be unique`),
          );
        }
        seen.add(name);
      }
    }
  }
  return problems;
}

function at(node: YamlNode | null, lines: LineCounter, message: string): YamlProblem {
  const offset = node?.range?.[0];
  if (offset === undefined) return { message };
  const { line, col } = lines.linePos(offset);
  return { message, line, column: col };
}

function problemOf(e: YAMLError, lines: LineCounter): YamlProblem {
  const message = firstLine(e.message);
  if (e.pos[0] < 0) return { message };
  const { line, col } = lines.linePos(e.pos[0]);
  return { message, line, column: col };
}

function crossed(limit: LimitName, message: string): { problems: YamlProblem[] } {
  return { problems: [{ message, limit }] };
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/:\s*$/, "");
}
