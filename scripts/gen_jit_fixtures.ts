/**
 * Writes the JIT benchmark fixtures, `bench/jit_fixtures/<taskId>.json`: per task a stream of
 * recorded LLM calls (time ordered, with latency, token usage and cost) and the answers a coder
 * model might give when asked to harden the component — one correct handler, a few subtly wrong
 * ones and a "return the most common answer" one. The JIT gate must accept the first and reject
 * the rest; see bench/jit_fixtures/README.md.
 *
 * Nothing here calls a model: inputs come from a seeded PRNG and every output from a reference
 * implementation that stands in for a deterministic model, so the files say
 * `"provenance": "authored"`. The same script always writes the same bytes.
 *
 * Run: `deno run -A scripts/gen_jit_fixtures.ts` (add `--check` to only compare).
 */
import { Rng } from "./_jit_rng.ts";
import type { TaskDef, TestCase } from "./_jit_task.ts";
import { formatDate, formatPhone, slugifyTitle } from "./_jit_tasks_format.ts";
import { extractEmails, extractInvoice } from "./_jit_tasks_extract.ts";
import { classifySentiment, routeTicket } from "./_jit_tasks_classify.ts";

export type { TaskDef } from "./_jit_task.ts";

export const TASKS: readonly TaskDef[] = [
  formatPhone,
  formatDate,
  slugifyTitle,
  extractInvoice,
  extractEmails,
  classifySentiment,
  routeTicket,
];

/** The stand-in models and the list prices their `costUsd` figures use (USD per million tokens). */
export const MODEL = { name: "standin-small", promptUsdPerMTok: 0.15, completionUsdPerMTok: 0.6 };
export const CODER = { name: "standin-coder", promptUsdPerMTok: 3, completionUsdPerMTok: 15 };

/** Calls are spread over four days from here, denser in (UTC) office hours. */
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const SPAN_MS = 4 * 24 * 3600 * 1000;
/** A repeated input is one of the previous this-many calls': re-submissions come soon. */
const REPEAT_WINDOW = 100;
/** Examples the coder prompt carries (what its prompt token count is estimated from). */
const CODER_EXAMPLES = 24;

export const FIXTURE_DIR = "bench/jit_fixtures";

export interface RecordedCall {
  at: string;
  input: Record<string, unknown>;
  output: unknown;
  latencyMs: number;
  usage: { promptTokens: number; completionTokens: number };
  costUsd: number;
  noisy?: true;
}

export interface CoderAnswer {
  label: string;
  expect: "accept" | "reject";
  note: string;
  handler: string;
  tests: string;
  usage: { promptTokens: number; completionTokens: number };
  costUsd: number;
  latencyMs: number;
}

export interface Fixture {
  taskId: string;
  kind: TaskDef["kind"];
  provenance: "authored";
  deterministic: boolean;
  description: string;
  generator: { script: string; seed: string };
  model: typeof MODEL;
  coderModel: typeof CODER;
  prompt: TaskDef["prompt"];
  inputSchema: Record<string, unknown>;
  summary: {
    calls: number;
    noisyCalls: number;
    distinctOutputs: number;
    mostCommonOutput: unknown;
    mostCommonShare: number;
    /** For classification and routing: the share of each label (routing: of each queue). */
    labelShares?: Record<string, number>;
  };
  calls: RecordedCall[];
  coderAnswers: CoderAnswer[];
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` compare equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}

/** The gate's comparison: canonical JSON equality, text outputs trimmed first. */
export function agrees(expected: unknown, actual: unknown): boolean {
  if (typeof expected === "string" && typeof actual === "string") {
    return expected.trim() === actual.trim();
  }
  return canonical(expected) === canonical(actual);
}

/**
 * Evaluates a handler source in plain JS. The handlers are written in the JS subset of
 * TypeScript, so dropping `export` is all the stripping needed.
 */
export function loadHandler(source: string): (input: unknown) => unknown {
  const body = source.replace(/^export /gm, "");
  return new Function(`"use strict";\n${body}\nreturn handle;`)() as (input: unknown) => unknown;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
const outputText = (task: TaskDef, output: unknown) =>
  task.prompt.outputFormat === "text" ? String(output) : JSON.stringify(output);

function render(template: string, input: Record<string, unknown>): string {
  return template.replace(/\{\{\s*input\.(\w+)\s*\}\}/g, (_m, k) => String(input[k] ?? ""));
}

/** `n` sorted, distinct timestamps; office hours (08–18 UTC) are three times as busy. */
function timestamps(rng: Rng, n: number): number[] {
  const out = new Set<number>();
  while (out.size < n) {
    const t = START_MS + Math.floor(rng.next() * SPAN_MS);
    const hour = new Date(t).getUTCHours();
    if (rng.next() < (hour >= 8 && hour < 18 ? 1 : 0.33)) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** Log-normal around the task's median, with a 2% slow tail (queueing at the provider). */
function latency(rng: Rng, median: number, completionTokens: number): number {
  const base = median * Math.exp(0.38 * rng.normal()) * (1 + completionTokens / 400);
  return Math.max(120, Math.round(rng.chance(0.02) ? base * (2 + rng.next() * 2) : base));
}

function callCost(promptTokens: number, completionTokens: number, price: typeof MODEL): number {
  return round(
    (promptTokens * price.promptUsdPerMTok + completionTokens * price.completionUsdPerMTok) / 1e6,
    10,
  );
}

function testsModule(cases: TestCase[]): string {
  return `export const cases = ${JSON.stringify(cases, null, 2)};\n`;
}

function mostCommon(calls: RecordedCall[]): { value: unknown; count: number; distinct: number } {
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const c of calls) {
    const key = canonical(c.output);
    const slot = counts.get(key) ?? { value: c.output, count: 0 };
    slot.count++;
    counts.set(key, slot);
  }
  let best = { value: null as unknown, count: -1 };
  for (const slot of counts.values()) if (slot.count > best.count) best = slot;
  return { ...best, distinct: counts.size };
}

export function buildFixture(task: TaskDef): Fixture {
  const rng = Rng.forTask(task.taskId);
  const times = timestamps(rng, task.calls);
  const clean: { input: Record<string, unknown>; output: unknown }[] = [];
  const calls: RecordedCall[] = times.map((t, i) => {
    // A re-submitted input (a retry, an edited-back review, a weekly re-run) is asked again;
    // the model answers it afresh, so its noise shows as disagreement between the recordings.
    const again = task.repeatShare && i > 0 && rng.chance(task.repeatShare)
      ? clean[rng.int(Math.max(0, i - REPEAT_WINDOW), i - 1)]
      : undefined;
    const { input, output } = again
      ? { input: structuredClone(again.input), output: again.output }
      : task.sample(rng);
    clean.push({ input, output });
    const promptTokens = tokens(render(task.prompt.template, input)) + 14;
    const completionTokens = tokens(outputText(task, output));
    return {
      at: new Date(t).toISOString(),
      input,
      output,
      latencyMs: latency(rng, task.medianLatencyMs, completionTokens),
      usage: { promptTokens, completionTokens },
      costUsd: callCost(promptTokens, completionTokens, MODEL),
    };
  });
  if (task.noisy && task.noiseRate) {
    // One inconsistent answer per block of 1/rate calls, so no time slice gets a cluster.
    const block = Math.round(1 / task.noiseRate);
    for (let start = 0; start + block <= calls.length; start += block) {
      const call = calls[start + rng.int(0, block - 1)];
      call.output = task.noisy(call.output, rng);
      call.usage.completionTokens = tokens(outputText(task, call.output));
      call.costUsd = callCost(call.usage.promptTokens, call.usage.completionTokens, MODEL);
      call.noisy = true;
    }
  }

  const common = mostCommon(calls);
  const constant = `export function handle(_input) {\n  return ${
    JSON.stringify(common.value)
  };\n}\n`;
  const coderPrompt = 900 + tokens(task.prompt.template) +
    tokens(JSON.stringify(task.inputSchema)) +
    tokens(JSON.stringify(task.prompt.outputSchema ?? {})) +
    tokens(JSON.stringify(calls.slice(0, CODER_EXAMPLES).map((c) => [c.input, c.output])));
  const answer = (
    label: string,
    expect: CoderAnswer["expect"],
    note: string,
    handler: string,
    cases: TestCase[],
  ): CoderAnswer => {
    const tests = testsModule(cases);
    const completionTokens = tokens(handler) + tokens(tests) + rng.int(60, 220);
    const promptTokens = coderPrompt + rng.int(0, 40);
    return {
      label,
      expect,
      note,
      handler,
      tests,
      usage: { promptTokens, completionTokens },
      costUsd: callCost(promptTokens, completionTokens, CODER),
      latencyMs: Math.round(2500 + completionTokens * (18 + rng.next() * 10)),
    };
  };
  // Wrong and constant coders "wrote" tests their own handler passes: the bug is in both.
  const ownCases = (source: string) => {
    const handle = loadHandler(source);
    return task.correctTests.map((c) => ({
      name: c.name,
      input: c.input,
      expected: JSON.parse(JSON.stringify(handle(c.input))),
    }));
  };
  const coderAnswers = [
    answer(
      "correct",
      "accept",
      "implements the rule the reference follows",
      task.correct,
      task.correctTests,
    ),
    ...task.wrong.map((w) => answer(w.label, "reject", w.note, w.source, ownCases(w.source))),
    answer(
      "constant",
      "reject",
      "returns the most common recorded output",
      constant,
      ownCases(constant),
    ),
  ];

  const summary: Fixture["summary"] = {
    calls: calls.length,
    noisyCalls: calls.filter((c) => c.noisy).length,
    distinctOutputs: common.distinct,
    mostCommonOutput: common.value,
    mostCommonShare: round(common.count / calls.length, 4),
  };
  if (task.kind === "classification" || task.kind === "routing") {
    const label = (o: unknown) =>
      typeof o === "string" ? o : String((o as { queue?: unknown }).queue);
    const shares: Record<string, number> = {};
    for (const c of calls) shares[label(c.output)] = (shares[label(c.output)] ?? 0) + 1;
    summary.labelShares = Object.fromEntries(
      Object.entries(shares).sort(([a], [b]) => a < b ? -1 : 1)
        .map(([k, n]) => [k, round(n / calls.length, 4)]),
    );
  }

  const noise = task.deterministic ? "" : ` About ${task.noiseRate! * 100}% of the outputs ` +
    '(one per block of calls, marked "noisy": true) were deliberately replaced by another ' +
    "label to mimic an inconsistent model; a correct handler cannot reproduce those.";
  return {
    taskId: task.taskId,
    kind: task.kind,
    provenance: "authored",
    deterministic: task.deterministic,
    description: `${task.description} Authored benchmark fixture: the inputs were drawn by ` +
      "scripts/gen_jit_fixtures.ts from a seeded PRNG and every output comes from a reference " +
      "implementation standing in for a deterministic model; no live model was called. Latency " +
      "is log-normal around the task's median, tokens are estimated from text length (4 " +
      "characters a token) and costs use the stated model prices." + noise,
    generator: { script: "scripts/gen_jit_fixtures.ts", seed: `fnv1a(${task.taskId})` },
    model: MODEL,
    coderModel: CODER,
    prompt: task.prompt,
    inputSchema: task.inputSchema,
    summary,
    calls,
    coderAnswers,
  };
}

/** Every fixture file, path (relative to the repository root) → exact file text. */
export function renderFixtures(): Map<string, string> {
  const files = new Map<string, string>();
  for (const task of TASKS) {
    files.set(
      `${FIXTURE_DIR}/${task.taskId}.json`,
      JSON.stringify(buildFixture(task), null, 2) + "\n",
    );
  }
  return files;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const check = Deno.args.includes("--check");
  let drift = 0;
  for (const [path, text] of renderFixtures()) {
    const url = new URL(path, root);
    if (check) {
      const current = await Deno.readTextFile(url).catch(() => null);
      if (current !== text) {
        console.error(`drift: ${path}`);
        drift++;
      }
      continue;
    }
    await Deno.mkdir(new URL(".", url), { recursive: true });
    await Deno.writeTextFile(url, text);
    console.log(`wrote ${path} (${(text.length / 1024).toFixed(0)} KiB)`);
  }
  if (drift) Deno.exit(1);
}
