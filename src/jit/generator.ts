import { type Clock, KilnError, type Logger, quote } from "../core/mod.ts";
import type { LlmRunner } from "../llm/mod.ts";
import { type ToolCatalog, toolError } from "../mcp/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import type { AppSnapshot } from "../registry/mod.ts";
import type { StateManager } from "../state/mod.ts";
import { generatedTask, JIT_AUTHOR, switchToGenerated } from "./activation.ts";
import { CODER_OUTPUT_SCHEMA, coderMessages, parseCoderAnswer } from "./coder_request.ts";
import { type GateSandbox, runGate } from "./gate.ts";
import type { JitComponentRecord, JitGeneration, JitProgressEvent } from "./jit_records.ts";
import { weighEvidence } from "./evidence.ts";
import { decide, type GateReport } from "./report.ts";
import type { SampleStore } from "./sample_store.ts";
import { cases, type JitSpec, pickExamples, splitSamples } from "./spec.ts";

/** What one generation reads, calls and writes through. */
export interface GeneratorDeps {
  state: StateManager;
  tools: Pick<ToolCatalog, "call">;
  sandbox: GateSandbox;
  samples: SampleStore;
  prompts: Pick<LlmRunner, "loadTemplate" | "loadSchema">;
  clock: Clock;
  logger: Logger;
}

type Emit = (phase: JitProgressEvent["phase"], message: string, data?: unknown) => Promise<void>;

/**
 * One JIT generation (contract §9), start to verdict: spec from the prompt template, schemas and
 * recorded traffic split in time order → the coder profile through `core.llm.generate`, asked
 * for a handler AND tests → artifacts committed under `_jit_code/<componentId>/<version>/` →
 * the tests and the gate and hidden slices run in the wasm tier → activation through
 * `applyDefinitionDiff` only when the gate passes → `report.json` committed either way.
 */
export async function runGeneration(
  deps: GeneratorDeps,
  gen: JitGeneration,
  snapshot: AppSnapshot,
  record: JitComponentRecord,
  emit: Emit,
): Promise<GateReport> {
  const { appId, componentId } = gen;
  const component = snapshot.components.get(componentId);
  if (!component) throw new KilnError("COMPONENT_NOT_FOUND", `no component ${quote(componentId)}`);
  const llm = llmDefinition(component);
  const config = snapshot.optimization;
  const samples = await deps.samples.list(appId, componentId);
  if (samples.length < config.generation.minSamples) {
    throw new KilnError(
      "JIT_NOT_READY",
      `component ${quote(componentId)} has ${samples.length} recorded calls; a generation ` +
        `needs at least ${config.generation.minSamples}`,
      { samples: samples.length, minSamples: config.generation.minSamples },
    );
  }
  const split = splitSamples(samples, config.generation);
  const version = gen.version ?? nextVersion(record);
  const dir = `_jit_code/${componentId}/${version}`;
  const spec = await buildSpec(deps, snapshot, llm, version, split);
  await emit("spec", `spec built from ${samples.length} recorded calls`, spec.slices);

  await emit("coder", `asking the ${config.generation.coderModel} profile for code and tests`);
  const coder = await askCoder(deps, appId, spec, config.generation.coderModel);
  await emit("coder", "the coder answered", coder.usage);

  const files = new Map([
    [`${dir}/handler.ts`, coder.answer.handler],
    [`${dir}/handler_test.ts`, coder.answer.tests],
    [`${dir}/entry.ts`, ENTRY],
    [`${dir}/spec.json`, `${JSON.stringify(spec, null, 2)}\n`],
  ]);
  const committed = await deps.state.setDefinitionFiles(appId, files, undefined, {
    commitMessage: `JIT ${componentId} ${version}: generated handler and tests`,
    author: JIT_AUTHOR,
  });
  await emit("artifacts", `artifacts committed under ${dir}`, {
    revision: committed.resultingRevision,
  });

  const gateCases = cases(split.gate, split.examples);
  const hiddenCases = cases(split.hidden, [...split.examples, ...split.gate]);
  const run = await runGate(deps.sandbox, {
    dir,
    handler: coder.answer.handler,
    tests: coder.answer.tests,
  }, {
    gate: gateCases,
    hidden: hiddenCases,
  }, { appId, componentId, timeoutMs: Math.min(config.generation.timeoutMs, 30_000) });
  await emit("tests", `${run.tests.passed}/${run.tests.total} generated tests pass`, run.tests);
  await emit("gate", `gate agreement ${run.gate.agreed}/${run.gate.total}`, {
    agreement: run.gate.agreement,
    lowerBound: run.gate.lowerBound,
  });
  await emit("hidden", `hidden agreement ${run.hidden.agreed}/${run.hidden.total}`, {
    agreement: run.hidden.agreement,
    lowerBound: run.hidden.lowerBound,
  });
  const weighed = weighEvidence(
    gateCases.map((c, i) => ({ ...c, agreed: run.gateAgreed[i], threw: run.gateThrew[i] })),
    [...split.examples, ...split.gate, ...split.hidden],
    {
      threshold: config.agreementThreshold,
      gateShare: config.generation.gateShare,
      examplesShare: config.generation.examplesShare,
    },
    hiddenCases.map((c, i) => ({ ...c, agreed: run.hiddenAgreed[i], threw: run.hiddenThrew[i] })),
  );
  const verdict = decide(run, weighed);
  const { verdict: _, reasons: __, ...evidence } = weighed;
  const report: GateReport = {
    version,
    ...verdict,
    threshold: config.agreementThreshold,
    evidence,
    tests: run.tests,
    gate: run.gate,
    hidden: run.hidden,
    baseline: run.baseline,
    slices: {
      examples: split.examples.length,
      gate: split.gate.length,
      hidden: split.hidden.length,
    },
    coder: coder.usage,
  };
  let base = committed.resultingRevision;
  if (verdict.decision === "activate") {
    await emit("activate", `switching ${componentId} to ${version}`);
    base = await switchToGenerated(
      deps.state,
      appId,
      componentId,
      version,
      dir,
      base,
      `JIT ${componentId} ${version}: activate (gate ${pct(run.gate.agreement)})`,
    );
    report.commit = base;
  }
  await deps.state.setDefinitionFiles(
    appId,
    new Map([[`${dir}/report.json`, `${JSON.stringify(report, null, 2)}\n`]]),
    base,
    {
      commitMessage: `JIT ${componentId} ${version}: gate report (${report.decision})`,
      author: JIT_AUTHOR,
    },
  );
  return report;
}

/** The llm definition a component runs (or ran, before generated code replaced it). */
export function llmDefinition(c: ComponentDefinition): ComponentDefinition {
  if (c.handlerType === "llm") return c;
  const task = generatedTask(c);
  if (!task) {
    throw new KilnError(
      "JIT_NOT_READY",
      `component ${quote(c.componentId)} is a ${c.handlerType} component; only llm components ` +
        `are hardened into code`,
    );
  }
  return {
    ...c,
    handlerType: "llm",
    taskDetails: task.generatedFrom.taskDetails,
    runtime: task.generatedFrom.runtime,
  };
}

async function buildSpec(
  deps: GeneratorDeps,
  snapshot: AppSnapshot,
  llm: ComponentDefinition,
  version: string,
  split: ReturnType<typeof splitSamples>,
): Promise<JitSpec> {
  const appId = snapshot.definition.appId;
  const name = (llm.taskDetails as { promptTemplate: string }).promptTemplate;
  const template = await deps.prompts.loadTemplate(appId, snapshot.revision, name);
  const load = (ref: typeof llm.inputSchema) =>
    deps.prompts.loadSchema(appId, snapshot.revision, ref);
  const [inputSchema, outputSchema, promptSchema] = await Promise.all([
    load(llm.inputSchema),
    load(llm.outputSchema),
    load(template.outputSchema),
  ]);
  const judged = [...split.gate, ...split.hidden];
  return {
    appId,
    componentId: llm.componentId,
    version,
    createdAt: new Date(deps.clock.now()).toISOString(),
    prompt: {
      name,
      ...(template.description ? { description: template.description } : {}),
      ...(template.system ? { system: template.system } : {}),
      template: template.template,
      outputFormat: template.outputFormat,
      ...(promptSchema ? { outputSchema: promptSchema } : {}),
    },
    ...(inputSchema ? { inputSchema } : {}),
    ...(outputSchema ? { outputSchema } : {}),
    examples: pickExamples(split.examples, snapshot.optimization.generation.maxExamples),
    slices: {
      examples: split.examples.length,
      gate: split.gate.length,
      hidden: split.hidden.length,
      gateSampleIds: split.gate.map((s) => s.sampleId),
      hiddenSampleIds: split.hidden.map((s) => s.sampleId),
      recordedFrom: split.examples[0]?.at ?? "",
      recordedTo: judged.at(-1)?.at ?? split.examples.at(-1)?.at ?? "",
    },
  };
}

async function askCoder(deps: GeneratorDeps, appId: string, spec: JitSpec, model: string) {
  const result = await deps.tools.call("core.llm.generate", {
    model,
    messages: coderMessages(spec),
    parameters: { temperature: 0 },
    outputSchema: CODER_OUTPUT_SCHEMA,
  }, { kind: "admin", appId });
  const out = result.structuredContent as {
    completion: unknown;
    model: string;
    usage: { promptTokens: number; completionTokens: number; costUsd: number };
  } | undefined;
  const failed = toolError(result);
  if (failed || !out) {
    throw new KilnError(
      "JIT_CODER_ANSWER_INVALID",
      `the coder call failed: ${failed ? `${failed.code}: ${failed.message}` : "no answer"}`,
      { error: failed },
    );
  }
  return {
    answer: parseCoderAnswer(out.completion),
    usage: {
      model: out.model,
      promptTokens: out.usage.promptTokens,
      completionTokens: out.usage.completionTokens,
      costUsd: out.usage.costUsd ?? 0,
    },
  };
}

/**
 * The next version number, past every version recorded and every one a generation claimed, so
 * a failed generation's number (and its committed artifacts) are never reused.
 */
export function nextVersion(record: JitComponentRecord): string {
  const n = record.versions.reduce(
    (m, v) => Math.max(m, Number(v.version.slice(1)) || 0),
    record.versionsIssued ?? 0,
  );
  return `v${n + 1}`;
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

/** The `/execute` contract's entry: the prompt's `input`, handed to the generated `handle`. */
const ENTRY = `// Written by Kiln: adapts the /execute contract to the generated handler.
import { type Context, payload, type RequestData } from "kiln:sdk";
import { handle } from "./handler.ts";

export async function run(requestData: RequestData, _context: Context): Promise<unknown> {
  return await handle(payload(requestData));
}
`;
