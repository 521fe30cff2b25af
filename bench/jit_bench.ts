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
 * Shadow checks are off while timing (they run after the response anyway); their LLM cost is
 * added at Kiln's default rates. Costs are the fixtures' recorded prices.
 *
 * Run: `deno run -A bench/jit_bench.ts [STREAM=30000] [TRAIN=150] [--json]` (`--json`: the rows
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
const TRAIN = Number(POSITIONAL[1] ?? 150);
// Kiln's defaults: probation shadows 10% until a 50-check window agrees, then 1%.
const SHADOW_RATE = 0.1;
const ACTIVE_SHADOW_RATE = 0.01;
const WINDOW = 50;
const DIR = new URL("./jit_fixtures/", import.meta.url);

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
  let wrongTotal = 0, wrongRejected = 0;
  for (const f of fixtures) {
    const r = await runTask(f);
    wrongTotal += r.wrong.total;
    wrongRejected += r.wrong.rejected;
    rows.push(r);
  }
  if (JSON_OUT) {
    console.log(JSON.stringify(rows));
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
}

async function runTask(f: Fixture) {
  let now = Date.parse(f.calls[0].at);
  const clock = { now: () => now };
  const answers = [
    ...f.coderAnswers.filter((a) => a.expect === "reject"),
    ...f.coderAnswers.filter((a) => a.expect === "accept"),
  ];
  const coder = serveWire((_req, i) =>
    json(openAiAnswer(
      JSON.stringify({ handler: answers[i].handler, tests: answers[i].tests }),
      { prompt: answers[i].usage.promptTokens, completion: answers[i].usage.completionTokens },
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
    for (const call of f.calls.slice(0, TRAIN)) {
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
    now = Date.parse(f.calls[TRAIN].at);
    const wrong = { total: 0, rejected: 0 };
    let correct = "-", hidden = "-", coderCost = 0;
    for (const a of answers) {
      await kiln.jitService.generate(appId, f.taskId, { trigger: "manual", actor: "bench" });
      await kiln.jitService.wait(appId, f.taskId);
      const status = await kiln.jitService.status(appId, f.taskId);
      const gen = status.lastGeneration!;
      coderCost += a.costUsd;
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
    const rest = f.calls.slice(TRAIN);
    const served: number[] = [];
    let byCode = 0, agreed = 0, llmCostAfter = 0;
    for (let i = 0; i < STREAM - TRAIN; i++) {
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
    const baseline = STREAM * perCall;
    const trainCost = f.calls.slice(0, TRAIN).reduce((s, c) => s + c.costUsd, 0);
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
      wrong,
      correct,
      hidden,
      servedShare: pct(byCode / STREAM),
      live: pct(agreed / (STREAM - TRAIN)),
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
