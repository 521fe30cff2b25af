import { kilnChildCommand, type Logger, OnDemand } from "../core/mod.ts";
import type { LlmGateway, LlmRunner } from "../llm/mod.ts";
import type { MetricCollector } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { HandlerKind } from "../router/mod.ts";
import type { SandboxManager } from "../sandbox/mod.ts";
import type { StateManager } from "../state/mod.ts";
import type { ProcessRenderer } from "../template/mod.ts";
import type { KilnOptions } from "./options.ts";

/** The LLM side of a node: the gateway, prompt rendering and the llm handler kind. */
export interface LlmParts {
  gateway: LlmGateway;
  runner: LlmRunner;
  templates: ProcessRenderer;
  /** The `handlerType: llm` kind, before the JIT loop wraps it. */
  kind: HandlerKind;
}

/**
 * The LLM gateway, its recordings and the prompt renderer, loaded when an app first calls a
 * model (`core.llm.generate`, an llm component, the JIT loop). The composition root closes the
 * renderer, if it loaded.
 */
export function llmOnDemand(
  opts: KilnOptions,
  deps: {
    logger: Logger;
    metrics: MetricCollector;
    registry: Registry;
    state: StateManager;
    sandbox: () => SandboxManager;
  },
): OnDemand<LlmParts> {
  return new OnDemand("the LLM gateway", async () => {
    const [llm, template] = await Promise.all([
      import("../llm/mod.ts"),
      import("../template/mod.ts"),
    ]);
    const given = opts.llm;
    const gateway = new llm.LlmGateway({
      config: typeof given?.config === "function"
        ? await given.config()
        : given?.config ?? { profiles: {} },
      cassettes: typeof given?.cassettes === "function"
        ? await given.cassettes()
        : given?.cassettes,
      timers: given?.timers,
      providerFor: given?.providerFor,
      logger: deps.logger,
      metrics: deps.metrics,
      appModel: (appId, componentId) => {
        const hit = deps.registry.getAppConfigurationValue(appId, "llm.model", componentId);
        return typeof hit.value === "string" ? hit.value : undefined;
      },
    });
    // App templates never render on Kiln's thread: each app has its own renderer process.
    const templates = new template.ProcessRenderer({
      logger: deps.logger,
      command: kilnChildCommand({ denoPath: opts.denoPath }),
    });
    const runner = new llm.LlmRunner({
      state: deps.state,
      renderer: templates,
      logger: deps.logger,
      timers: given?.timers,
    });
    const kind = llm.llmHandler({ runner, sandbox: deps.sandbox() });
    return { gateway, runner, templates, kind };
  });
}
