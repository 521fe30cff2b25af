/**
 * The JIT benchmark (`deno task bench:jit`). For each fixture task in
 * `bench/jit_fixtures/` (authored traffic: ≥ 300 calls each, labelled as such): the first
 * `TRAIN` calls are recorded as the component's samples, then every recorded coder answer —
 * deliberately wrong handlers and a constant "most common answer" handler first, the correct
 * one last — goes through Kiln's real generation path (coder via `core.llm.generate` from a
 * local OpenAI-wire stand-in replaying the recorded answer, artifacts committed, tests and
 * gate in the wasm tier, activation by `applyDefinitionDiff`). Then the rest of a
 * `STREAM`-call stream (the fixture's later calls, cycled) is served over the app's HTTP
 * ingress by whatever the gate activated, timed per call and checked against the recording.
 *
 * Every task also gets three near-miss candidates built here from its correct handler (the
 * fixtures stay as generated): `near-miss-rare-case` answers the task's rarest recorded output
 * class wrong (or, where outputs are not categorical, ~4% of inputs picked by hash),
 * `near-miss-off-by-one` is wrong on ~2% of inputs picked by hash, and `near-miss-throws`
 * throws on ~3% of inputs picked by hash. Their tests are their own answers on the correct
 * handler's test inputs — they pass them. The target: every near-miss rejected at the default
 * settings, no correct handler rejected; the decision and gate bound of every candidate are
 * printed per task.
 *
 * Shadow checks are off while timing (they run after the response anyway); their LLM cost is
 * added at Kiln's default rates. Costs are the fixtures' recorded prices.
 *
 * A candidate the gate calls undecided gets what the gate asks for: the bench records about as
 * many more of the fixture's calls as the report's `needMoreSamples` says (keeping
 * `MIN_STREAM_REST` for the stream, at most `MAX_ROUNDS` times) and generates again, as an
 * operator following the report would. Samples accumulate, so a later candidate starts from
 * what earlier ones collected; the table shows each candidate's first decision and its final one
 * with the calls it was made on.
 *
 * Run: `deno run -A bench/jit_bench.ts [STREAM=30000] [TRAIN=250] [--json]` (`--json`: the rows
 * as JSON on stdout instead of the table, for `bench/serve_bench.ts`).
 */
import { stringify } from "yaml";
import { silentLogger } from "../src/core/mod.ts";
import { createKiln } from "../src/kiln.ts";
import { json, openAiAnswer, serveWire } from "../src/llm/_test_support.ts";
import { sameOutput } from "../src/jit/mod.ts";
import { JcoComponentRunner, WasmTier } from "../src/sandbox/mod.ts";

interface Call {
  at: string;
  input: unknown;
  output: unknown;
  latencyMs: number;
  usage: { promptTokens: number; completionTokens: number };
  costUsd: number;
}
interface Fixture {
  taskId: string;
  kind: string;
  provenance: string;
  deterministic: boolean;
  prompt: { description?: string; template: string; outputFormat: string; outputSchema?: unknown };
  inputSchema?: unknown;
  calls: Call[];
  coderAnswers: {
    label: string;
    expect: "accept" | "reject";
    handler: string;
    tests: string;
    usage: { promptTokens: number; completionTokens: number };
    costUsd: number;
  }[];
}

const POSITIONAL = Deno.args.filter((a) => !a.startsWith("--"));
const JSON_OUT = Deno.args.includes("--json");
const STREAM = Number(POSITIONAL[0] ?? 30_000);
// The gate judges distinct inputs and needs a Wilson lower bound ≥ 95%: 73 of 73 at best, so
// a 40% gate slice needs ≥ ~190 recorded calls.
const TRAIN = Number(POSITIONAL[1] ?? 250);
// Kiln's defaults: probation shadows 10% until a 50-check window agrees, then 1%.
const SHADOW_RATE = 0.1;
const ACTIVE_SHADOW_RATE = 0.01;
const WINDOW = 50;
const DIR = new URL("./jit_fixtures/", import.meta.url);
/** Rounds of "collect more, generate again" per candidate, and fixture calls kept for the stream. */
const MAX_ROUNDS = 3;
const MIN_STREAM_REST = 20;

if (import.meta.main) await main();

/** Every task, then the table. */
async function main() {
  const fixtures: Fixture[] = [];
  for await (const e of Deno.readDir(DIR)) {
    if (e.name.endsWith(".json")) {
      fixtures.push(JSON.parse(await Deno.readTextFile(new URL(e.name, DIR))));
    }
  }
  fixtures.sort((a, b) => a.taskId.localeCompare(b.taskId));

  const rows = [];
  const decisions: Decision[] = [];
  let wrongTotal = 0, wrongRejected = 0;
  for (const f of fixtures) {
    f.coderAnswers.push(...await nearMisses(f));
    const r = await runTask(f);
    wrongTotal += r.wrong.total;
    wrongRejected += r.wrong.rejected;
    decisions.push(...r.decisions);
    rows.push(r);
  }
  if (JSON_OUT) {
    console.log(JSON.stringify(rows.map(({ decisions: _, ...r }) => r)));
    return;
  }

  console.log(
    `\nJIT benchmark: ${fixtures.length} tasks, stream of ${STREAM} calls each, ` +
      `first ${TRAIN} recorded as samples; fixtures are ${[
        ...new Set(fixtures.map((f) => f.provenance)),
      ]}`,
  );
  console.table(rows.map((r) => ({
    task: r.task,
    kind: r.kind,
    "wrong/const rejected": `${r.wrong.rejected}/${r.wrong.total}`,
    "correct": r.correct,
    "hidden agreement": r.hidden,
    "served by code": r.servedShare,
    "live agreement": r.live,
    "p50 code ms": r.p50Code,
    "p50 LLM ms": r.p50Llm,
    "speed-up": r.speedup,
    "cost saved": r.saved,
  })));
  console.log(`wrong and constant handlers rejected: ${wrongRejected}/${wrongTotal}`);
  console.table(decisions);
  const near = decisions.filter((d) => d.candidate.startsWith("near-miss"));
  const correct = decisions.filter((d) => d.expect === "accept");
  console.log(
    `near-misses rejected: ${near.filter((d) => d.decision === "rejected").length}/${near.length}` +
      ` (activated: ${near.filter((d) => d.decision === "activated").length}); correct ` +
      `handlers activated: ${correct.filter((d) => d.decision === "activated").length}/` +
      `${correct.length} (rejected: ${correct.filter((d) => d.decision === "rejected").length})`,
  );
}

/** One candidate's fate at the gate. */
interface Decision {
  task: string;
  candidate: string;
  expect: "accept" | "reject";
  /** The decision (and bound) on the calls recorded when this candidate came up. */
  "first decision": string;
  /** Recorded calls the decision was made on (more than `TRAIN` when the gate asked for more). */
  recorded: number;
  decision: string;
  gate: string;
  "lower bound": string;
  why: string;
}

/**
 * Near-miss candidates from the task's correct handler: the same code behind a wrapper that is
 * wrong on a small, stated share of inputs. Tests are the wrapper's own answers.
 */
async function nearMisses(f: Fixture): Promise<Fixture["coderAnswers"]> {
  const correct = f.coderAnswers.find((a) => a.label === "correct")!;
  const counts = new Map<string, number>();
  for (const c of f.calls) {
    const k = JSON.stringify(c.output);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const byShare = [...counts.entries()].sort((a, b) => a[1] - b[1]);
  const categorical = counts.size <= 20;
  const rare = byShare[0][0], common = byShare.at(-1)![0];
  const base = correct.handler.replace("export function handle(", "function __correct(");
  const hash = `function __h(v) { const s = JSON.stringify(v); let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return (h >>> 0) % 1000; }
function __off(out) {
  if (typeof out === "string") return out + "-";
  if (Array.isArray(out)) return [...out, "x"];
  return { ...out, nearMiss: true };
}`;
  const wrappers: [string, string][] = [
    [
      "near-miss-rare-case",
      categorical
        ? `export function handle(input) { const out = __correct(input);
  return JSON.stringify(out) === ${JSON.stringify(rare)} ? ${common} : out; }`
        : `export function handle(input) { const out = __correct(input);
  return __h(input) < 40 ? __off(out) : out; }`,
    ],
    [
      "near-miss-off-by-one",
      `export function handle(input) { const out = __correct(input);
  return __h(input) < 20 ? __off(out) : out; }`,
    ],
    [
      "near-miss-throws",
      `export function handle(input) {
  if (__h(input) < 30) throw new Error("unsupported input"); return __correct(input); }`,
    ],
  ];
  const out: Fixture["coderAnswers"] = [];
  for (const [label, wrapper] of wrappers) {
    const handler = `${base}\n${hash}\n${wrapper}\n`;
    const mod = await import(`data:text/javascript,${encodeURIComponent(handler)}`);
    const inputs = (await import(
      `data:text/javascript,${encodeURIComponent(correct.tests)}`
    )).cases as { name: string; input: unknown }[];
    const cases = inputs.flatMap((c) => {
      try {
        return [{ name: c.name, input: c.input, expected: mod.handle(c.input) }];
      } catch {
        return [];
      }
    });
    out.push({
      ...correct,
      label,
      expect: "reject",
      handler,
      tests: `export const cases = ${JSON.stringify(cases, null, 2)};\n`,
    });
  }
  return out;
}

async function runTask(f: Fixture) {
  let now = Date.parse(f.calls[0].at);
  const clock = { now: () => now };
  const answers = [
    ...f.coderAnswers.filter((a) => a.expect === "reject"),
    ...f.coderAnswers.filter((a) => a.expect === "accept"),
  ];
  // The candidate being judged: an undecided one is asked for again once more traffic is in.
  let asking = answers[0];
  const coder = serveWire(() =>
    json(openAiAnswer(
      JSON.stringify({ handler: asking.handler, tests: asking.tests }),
      { prompt: asking.usage.promptTokens, completion: asking.usage.completionTokens },
    ))
  );
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-jit-bench-" });
  const kiln = await createKiln({
    dataDir,
    logger: silentLogger,
    watch: false,
    clock,
    random: () => 0.5,
    optimization: { evaluateEveryMs: 0 },
    tiers: [
      new WasmTier({ logger: silentLogger, workers: 1, components: new JcoComponentRunner() }),
    ],
    llm: {
      config: {
        profiles: {
          default: { provider: "replay", model: "unused" },
          coder: { provider: "openai", baseUrl: `${coder.url}/v1`, model: "standin-coder" },
        },
      },
    },
  });
  try {
    const appId = "bench";
    await kiln.registry.registerApplication({ files: appFiles(f) });
    const config = kiln.registry.snapshot(appId).optimization.sampling;
    let recorded = 0;
    const record = async (upTo: number) => {
      for (const call of f.calls.slice(recorded, upTo)) {
        now = Date.parse(call.at);
        await kiln.jitService.samples.record(appId, f.taskId, {
          input: call.input,
          output: call.output,
          latencyMs: call.latencyMs,
          costUsd: call.costUsd,
          promptTokens: call.usage.promptTokens,
          completionTokens: call.usage.completionTokens,
          provenance: "recording",
        }, config);
      }
      recorded = Math.max(recorded, upTo);
    };
    await record(TRAIN);
    now = Date.parse(f.calls[TRAIN].at);
    const wrong = { total: 0, rejected: 0 };
    const decisions: Decision[] = [];
    let correct = "-", hidden = "-", coderCost = 0;
    for (const a of answers) {
      asking = a;
      let gen, rounds = 0, first = "";
      // Undecided means "collect more": record as many more of the fixture's calls as the gate
      // asked for (while the fixture has them) and generate again, as an operator would.
      while (true) {
        await kiln.jitService.generate(appId, f.taskId, { trigger: "manual", actor: "bench" });
        await kiln.jitService.wait(appId, f.taskId);
        gen = (await kiln.jitService.status(appId, f.taskId)).lastGeneration!;
        coderCost += a.costUsd;
        first ||= `${gen.status} (${
          gen.report ? pct(gen.report.gate.lowerBound) : "-"
        }) on ${recorded}`;
        const more = gen.report?.evidence.needMoreSamples;
        const room = f.calls.length - MIN_STREAM_REST - recorded;
        if (gen.status !== "undecided" || !more || room <= 0 || ++rounds > MAX_ROUNDS) break;
        await record(recorded + Math.min(more, room));
      }
      decisions.push({
        task: f.taskId,
        candidate: a.label,
        expect: a.expect,
        "first decision": first,
        recorded,
        decision: gen.status,
        gate: gen.report ? `${gen.report.gate.agreed}/${gen.report.gate.total}` : "-",
        "lower bound": gen.report ? pct(gen.report.gate.lowerBound) : "-",
        why: (gen.report?.reasons ?? [gen.error?.message ?? ""]).join("; ").slice(0, 90),
      });
      if (a.expect === "reject") {
        wrong.total++;
        if (gen.status === "rejected") wrong.rejected++;
        else {console.error(
            `${f.taskId}: ${a.label} was not rejected (${gen.status})`,
            gen.error ?? gen.report?.reasons,
          );}
      } else {
        correct = gen.status;
        const h = gen.report?.hidden;
        if (h) hidden = `${pct(h.agreement)} (≥${pct(h.lowerBound)})`;
        if (gen.status !== "activated") {
          console.error(
            `${f.taskId}: correct handler ${gen.status}`,
            gen.error ?? gen.report?.reasons,
          );
        }
      }
    }
    // The rest of the stream, over HTTP ingress.
    const rest = f.calls.slice(recorded);
    const served: number[] = [];
    let byCode = 0, agreed = 0, llmCostAfter = 0;
    // A task that recorded more than `STREAM` still serves the fixture's unrecorded rest once.
    const streamed = Math.max(STREAM - recorded, rest.length);
    for (let i = 0; i < streamed; i++) {
      const call = rest[i % rest.length];
      const started = performance.now();
      const res = await kiln.handler(
        new Request(`http://kiln.test/apps/${appId}/run`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(call.input),
        }),
      );
      const body = await res.json();
      served.push(performance.now() - started);
      if (res.status === 200 && res.headers.get("x-kiln-tier") === "wasm") byCode++;
      else llmCostAfter += call.costUsd;
      if (res.status === 200 && sameOutput(call.output, body)) agreed++;
    }
    const perCall = avg(f.calls.map((c) => c.costUsd));
    const baseline = (recorded + streamed) * perCall;
    const trainCost = f.calls.slice(0, recorded).reduce((s, c) => s + c.costUsd, 0);
    const probationCalls = Math.min(byCode, WINDOW / SHADOW_RATE);
    const shadowCalls = probationCalls * SHADOW_RATE +
      (byCode - probationCalls) * ACTIVE_SHADOW_RATE;
    const shadowCost = shadowCalls * perCall;
    const spent = trainCost + coderCost + llmCostAfter + shadowCost;
    const p50Code = median(served);
    const p50Llm = median(f.calls.map((c) => c.latencyMs));
    return {
      task: f.taskId,
      kind: f.kind,
      decisions,
      wrong,
      correct,
      hidden,
      servedShare: pct(byCode / (recorded + streamed)),
      live: pct(agreed / streamed),
      p50Code: round(p50Code, 3),
      p50Llm: round(p50Llm, 0),
      speedup: `${Math.round(p50Llm / p50Code)}×`,
      saved: pct(1 - spent / baseline),
    };
  } finally {
    await kiln.close();
    await coder.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function appFiles(f: Fixture): Record<string, string> {
  return {
    "app_definition.yaml": "appId: bench\ndisplayName: JIT bench\nversion: 1.0.0\n",
    "component_registry.yaml": stringify({
      components: [{
        componentId: f.taskId,
        handlerType: "llm",
        taskDetails: { promptTemplate: "task" },
        routeMatcher: { pathPattern: "/run", methods: ["POST"] },
        limits: { timeoutMs: 10_000 },
      }],
    }),
    "prompts/task.yaml": stringify({ ...f.prompt, parameters: { temperature: 0 } }),
    "optimization_config.yaml": stringify({
      agreementThreshold: 0.95,
      shadowSampleRate: 0,
      generation: { minSamples: 30 },
    }),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function avg(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
