import type { ComponentDefinition, ExecuteResponse, RequestData } from "../models/mod.ts";
import type { LlmRunner } from "../llm/mod.ts";
import { validatorFor } from "../schema/mod.ts";
import type { Logger } from "../core/mod.ts";
import type { Registry } from "../registry/mod.ts";
import { payload } from "../../isolates/sdk.ts";
import { sameOutput } from "./agreement.ts";
import type { JitTally } from "./jit_tally.ts";
import type { SampleStore } from "./sample_store.ts";
import type { ShadowFigures } from "./shadow.ts";

/** Where the service counts what served each call (the metric collector's `add`). */
export interface JitMetrics {
  add(name: string, value: number, labels: Record<string, string>): void;
}

/** What the hooks act through; `rollback` is the service's, as actor `kiln`. */
export interface JitHooksDeps {
  registry: Registry;
  prompts: Pick<LlmRunner, "loadTemplate" | "loadSchema">;
  samples: SampleStore;
  /** Fallback counts and shadow windows, shared by every node through the runtime store. */
  tally: JitTally;
  metrics?: JitMetrics;
  random: () => number;
  logger: Logger;
  track(p: Promise<unknown>): void;
  /** `shadow`: the figures of the test that decided, taken before it was discarded. */
  rollback(
    appId: string,
    componentId: string,
    reason: string,
    shadow: ShadowFigures,
  ): Promise<unknown>;
}

const MAX_SHADOW_IN_FLIGHT = 4;

/**
 * The JIT loop on the request path, as the jit handler kinds call it: samples llm answers, checks
 * generated answers against the output schema, counts fallbacks, and shadows a share of generated
 * answers with the LLM after the response — rolling the component back when rolling agreement
 * drops. Windows and counters live in the runtime store (every node of a cluster shares them);
 * only the bound on shadow checks in flight, and whether a version has proven itself (which picks
 * the sampling rate on the request path without a store read), are per process.
 */
export class JitHooks {
  readonly #o: JitHooksDeps;
  readonly #shadowInFlight = new Map<string, number>();
  readonly #proven = new Set<string>();

  constructor(deps: JitHooksDeps) {
    this.#o = deps;
  }

  /** The shadow checks of a component since its version went live, if any ran. */
  async shadow(appId: string, componentId: string) {
    return (await this.#o.tally.test(appId, componentId))?.snapshot();
  }

  fallbacks(appId: string, componentId: string): Promise<number> {
    return this.#o.tally.fallbacks(appId, componentId);
  }

  /**
   * A new version goes on probation: its test starts afresh, against `llmNoise` — how often the
   * LLM disagreed with itself in the samples the gate judged the version on.
   */
  async resetShadow(appId: string, componentId: string, llmNoise = 0): Promise<void> {
    this.#proven.delete(`${appId}\0${componentId}`);
    await this.#o.tally.reset(appId, componentId, llmNoise);
  }

  /**
   * Whether generated code's answer meets the schema the LLM's answers had to meet
   * (the component's `outputSchema`, else its prompt's); null when it does, else why not.
   */
  async checkOutput(appId: string, revision: string, llm: ComponentDefinition, data: unknown) {
    const name = (llm.taskDetails as { promptTemplate: string }).promptTemplate;
    const ref = llm.outputSchema ??
      (await this.#o.prompts.loadTemplate(appId, revision, name)).outputSchema;
    const schema = await this.#o.prompts.loadSchema(appId, revision, ref);
    if (!schema) return null;
    const check = validatorFor(appId, revision, schema).validate(data);
    return check.ok
      ? null
      : check.issues.map((i) => `${i.pointer || "/"}: ${i.message}`).join("; ");
  }

  /** An llm component answered; sample the pair per the app's sampling config. */
  recordLlm(
    appId: string,
    component: ComponentDefinition,
    requestData: RequestData,
    result: ExecuteResponse,
  ): void {
    this.#o.metrics?.add("kiln.jit.served", 1, {
      appId,
      componentId: component.componentId,
      servedBy: "llm",
    });
    if (result.resultType !== "generic") return;
    const snapshot = this.#o.registry.snapshot(appId);
    const call = result.metrics.mcp_calls.find((c) => c.tool === "core.llm.generate");
    this.#o.track(
      this.#o.samples.record(appId, component.componentId, {
        input: payload(requestData),
        output: result.data,
        latencyMs: call?.total_duration_ms ?? result.metrics.execution_time_ms,
        costUsd: 0,
        promptTokens: call?.token_usage?.promptTokens ?? 0,
        completionTokens: call?.token_usage?.completionTokens ?? 0,
        provenance: call?.provenance === "recording" ? "recording" : "live",
      }, snapshot.optimization.sampling).catch((err) =>
        this.#o.logger.warn("sampling failed", { appId, error: String(err) })
      ),
    );
  }

  /** Generated code failed and the LLM answered instead. */
  fellBack(appId: string, componentId: string, reason: string): void {
    this.#o.track(
      this.#o.tally.fellBack(appId, componentId).catch((err) =>
        this.#o.logger.warn("counting a fallback failed", { appId, error: String(err) })
      ),
    );
    this.#o.metrics?.add("kiln.jit.served", 1, { appId, componentId, servedBy: "llm_fallback" });
    this.#o.logger.info("generated code fell back to the LLM", { appId, componentId, reason });
  }

  /**
   * Generated code answered. On a sampled share of calls the LLM answers too, in
   * the background (at `shadowSampleRate` until the sequential test accepts the version, then at
   * `activeShadowSampleRate`); when the test says the code disagrees more than the LLM does with
   * itself, the component rolls back to the LLM on its own.
   */
  servedByCode(
    appId: string,
    component: ComponentDefinition,
    result: ExecuteResponse,
    askLlm: () => Promise<ExecuteResponse>,
  ): void {
    this.#o.metrics?.add("kiln.jit.served", 1, {
      appId,
      componentId: component.componentId,
      servedBy: "jit",
    });
    const snapshot = this.#o.registry.snapshot(appId);
    const config = snapshot.optimization;
    const key = `${appId}\0${component.componentId}`;
    const inFlight = this.#shadowInFlight.get(key) ?? 0;
    const rate = this.#proven.has(key) ? config.activeShadowSampleRate : config.shadowSampleRate;
    if (inFlight >= MAX_SHADOW_IN_FLIGHT || this.#o.random() >= rate) return;
    this.#shadowInFlight.set(key, inFlight + 1);
    const check = askLlm().then(async (llm) => {
      if (llm.resultType !== "generic") return;
      const agreed = sameOutput(llm.data, result.data);
      const { test, outcome } = await this.#o.tally.push(appId, component.componentId, agreed);
      if (test.proven) this.#proven.add(key);
      this.#o.metrics?.add("kiln.jit.shadow.checks", 1, {
        appId,
        componentId: component.componentId,
        outcome: agreed ? "agree" : "disagree",
      });
      if (outcome !== "rollback") return;
      // The figures are taken before the test goes, so the audit shows what decided.
      const figures = test.snapshot();
      this.#proven.delete(key);
      await this.#o.tally.drop(appId, component.componentId);
      const reason = `shadow test: ${figures.testDisagreements} of ${figures.testChecks} ` +
        `shadowed answers disagree with the LLM ` +
        `(sequential test against ${pct(figures.p0)} disagreement, rollback at ` +
        `${pct(figures.p1)}; log-likelihood ratio ${figures.llr} ≥ ${figures.bounds.rollback})`;
      await this.#o.rollback(appId, component.componentId, reason, figures).catch((err) =>
        this.#o.logger.warn("automatic rollback failed", { appId, error: String(err) })
      );
    }).catch((err) => this.#o.logger.warn("shadow check failed", { appId, error: String(err) }))
      .finally(() => this.#shadowInFlight.set(key, (this.#shadowInFlight.get(key) ?? 1) - 1));
    this.#o.track(check);
  }
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}
