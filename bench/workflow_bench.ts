/**
 * Per-step overhead of the workflow engine with durable checkpoints on the embedded store
 * (SQLite in WAL, one checkpoint write per step), for a 20-step workflow of trivial jit steps,
 * side by side with the same pipeline in LangGraph.js with its MemorySaver checkpointer.
 *
 * `deno task bench` (or `deno bench --allow-all bench/workflow_bench.ts`) runs the Deno.bench
 * cases; `deno run --allow-all bench/workflow_bench.ts` prints p50/p90 per step and the ratio.
 */
// deno-lint-ignore-file no-explicit-any -- LangGraph's builder types track each added node
import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { silentLogger } from "../src/core/mod.ts";
import { EmbeddedStore } from "../src/state/mod.ts";
import { loadWorkflow, WorkflowEngine } from "../src/workflow/mod.ts";

const STEPS = 20;

function workflowYaml(): string {
  const lines = ["workflowId: chain", "startAt: s0", "steps:"];
  for (let i = 0; i < STEPS; i++) {
    const input = i === 0 ? "trigger.body.n" : `steps.s${i - 1}.output.n`;
    const next = i === STEPS - 1 ? "end: true" : `transitions: [{ nextStep: s${i + 1} }]`;
    lines.push(
      `  s${i}:`,
      `    type: jit`,
      `    target: { componentId: inc }`,
      `    inputMapping: { n: "${input}" }`,
      `    ${next}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** A Kiln engine whose jit steps are in-process functions; `path` picks the store file. */
function kilnChain(path: string) {
  const store = EmbeddedStore.open(path);
  const workflow = loadWorkflow("workflows/chain.yaml", workflowYaml());
  const engine = new WorkflowEngine({
    store,
    logger: silentLogger,
    source: {
      app: () => ({ revision: "r1", configuration: {} }),
      workflow: () => Promise.resolve(workflow),
    },
    components: { invoke: (call) => Promise.resolve({ n: (call.input as { n: number }).n + 1 }) },
    mcp: { call: () => Promise.reject(new Error("no tools in this bench")) },
  });
  return {
    run: async () => {
      const run = await engine.run("bench", "chain", { body: { n: 0 } });
      if (run.status !== "succeeded") throw new Error(JSON.stringify(run.error));
    },
    close: async () => {
      await engine.close();
      await store.close();
    },
  };
}

/** The same 20-node chain in LangGraph.js with its MemorySaver checkpointer. */
function langGraphChain() {
  const State = Annotation.Root({ n: Annotation<number> });
  let graph: any = new StateGraph(State);
  for (let i = 0; i < STEPS; i++) {
    graph = graph.addNode(`s${i}`, (s: { n: number }) => ({ n: s.n + 1 }));
  }
  graph = graph.addEdge(START, "s0");
  for (let i = 1; i < STEPS; i++) graph = graph.addEdge(`s${i - 1}`, `s${i}`);
  graph = graph.addEdge(`s${STEPS - 1}`, END);
  const app = graph.compile({ checkpointer: new MemorySaver() });
  let thread = 0;
  return {
    run: async () => {
      const out = await app.invoke({ n: 0 }, { configurable: { thread_id: `t${thread++}` } });
      if (out.n !== STEPS) throw new Error(`LangGraph answered ${out.n}`);
    },
  };
}

const dir = await Deno.makeTempDir({ prefix: "kiln-wf-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const kiln = kilnChain(`${dir}/kiln.db`);
const kilnMemory = kilnChain(":memory:");
const lang = langGraphChain();

Deno.bench("Kiln engine, 20 jit steps, embedded store (file)", {
  group: "workflow-20",
  baseline: true,
}, kiln.run);
Deno.bench("Kiln engine, 20 jit steps, embedded store (:memory:)", {
  group: "workflow-20",
}, kilnMemory.run);
Deno.bench("LangGraph.js, 20 nodes, MemorySaver", { group: "workflow-20" }, lang.run);

async function report(rounds = 300, warmup = 50): Promise<void> {
  const cases = [
    ["Kiln, embedded store (file, WAL)", kiln.run],
    ["Kiln, embedded store (:memory:)", kilnMemory.run],
    ["LangGraph.js 1.7.3, MemorySaver", lang.run],
  ] as const;
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < warmup + rounds; i++) {
    for (const [name, run] of cases) {
      const started = performance.now();
      await run();
      if (i >= warmup) samples.get(name)!.push((performance.now() - started) / STEPS);
    }
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)];
  const p50 = (name: string) => pct(samples.get(name)!, 0.5);
  console.log(`per-step time over ${rounds} runs of a ${STEPS}-step workflow (interleaved):`);
  for (const [name] of cases) {
    const xs = samples.get(name)!;
    console.log(
      `  ${name.padEnd(36)} p50 ${pct(xs, 0.5).toFixed(3)} ms  p90 ${pct(xs, 0.9).toFixed(3)} ms`,
    );
  }
  const ratio = p50(cases[2][0]) / p50(cases[0][0]);
  console.log(`  LangGraph p50 / Kiln (file) p50 = ${ratio.toFixed(2)}`);
}

if (import.meta.main) {
  try {
    await report();
  } finally {
    await kiln.close();
    await kilnMemory.close();
  }
}
