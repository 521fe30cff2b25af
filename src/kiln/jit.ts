import type { ClusterRuns } from "../cluster/mod.ts";
import { type Clock, type JsonValue, type Logger, OnDemand } from "../core/mod.ts";
import type { JitService, Oracle } from "../jit/mod.ts";
import type { ToolRegistry } from "../mcp/mod.ts";
import type { MetricCollector } from "../metrics/mod.ts";
import type { GlobalOptimizationRule } from "../models/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { HandlerKind } from "../router/mod.ts";
import type { SandboxManager } from "../sandbox/mod.ts";
import type { StateManager, StoreDriver } from "../state/mod.ts";
import type { RunEvent } from "../workflow/mod.ts";
import type { LlmParts } from "./llm.ts";
import type { KilnOptions } from "./options.ts";

import { META } from "./first_start.ts";

/** The JIT loop: its service, the oracle and the handler kinds it wraps around code and llm. */
export interface JitParts {
  service: JitService;
  oracle: Oracle;
  kinds: { jit: HandlerKind; llm: HandlerKind };
}

/**
 * The JIT loop, loaded when first needed: an llm component's call, a generated component's,
 * a `core.jit.*` tool, the admin API, or the oracle's first evaluation. Its llm kind is the
 * gateway's, so loading it loads the LLM side too. The oracle evaluates every
 * `optimization.evaluateEveryMs` from when it loaded.
 */
export function jitOnDemand(
  opts: KilnOptions,
  deps: {
    state: StateManager;
    registry: Registry;
    store: StoreDriver;
    tools: ToolRegistry;
    sandbox: SandboxManager;
    llm: OnDemand<LlmParts>;
    code: HandlerKind;
    metrics: MetricCollector;
    clock: Clock;
    logger: Logger;
    cluster?: ClusterRuns<RunEvent>;
  },
): OnDemand<JitParts> {
  return new OnDemand("the JIT loop", async () => {
    const [jit, llm] = await Promise.all([import("../jit/mod.ts"), deps.llm.get()]);
    const service = new jit.JitService({
      state: deps.state,
      registry: deps.registry,
      store: deps.store,
      tools: deps.tools,
      sandbox: deps.sandbox,
      prompts: llm.runner,
      clock: deps.clock,
      logger: deps.logger,
      random: opts.random,
      metrics: deps.metrics,
    });
    const every = opts.optimization?.evaluateEveryMs ?? 60_000;
    const savedRules = await deps.store.get(META, "optimization.globalRules");
    const oracle = new jit.Oracle({
      registry: deps.registry,
      jit: service,
      globalRules: opts.optimization?.globalRules ??
        (savedRules.found ? savedRules.value as unknown as GlobalOptimizationRule[] : []),
      saveGlobalRules: (rules) =>
        deps.store.set(META, "optimization.globalRules", rules as unknown as JsonValue),
      metrics: deps.metrics,
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.cluster && every > 0 ? { turn: deps.cluster.oracleTurn(every) } : {}),
    });
    if (every > 0) oracle.start(every);
    // Each handlerType is a kind; the JIT loop wraps the code and llm kinds (fallback, shadow
    // checks, sampling).
    return {
      service,
      oracle,
      kinds: {
        jit: jit.generatedCode({ code: deps.code, llm: llm.kind, hooks: service.hooks }),
        llm: jit.sampled(llm.kind, service.hooks),
      },
    };
  });
}

/**
 * The `handlerType: jit` kind before the loop has loaded: hand-written code runs on the code
 * kind as the loop's own kind would run it; a component that names a `jitVersion` may be
 * generated code, so it loads the loop, which decides.
 */
export function jitKind(code: HandlerKind, jit: OnDemand<JitParts>): HandlerKind {
  return {
    async run(component, invocation) {
      const loaded = jit.loaded;
      if (loaded) return await loaded.kinds.jit.run(component, invocation);
      const task = component.taskDetails as { jitVersion?: unknown } | undefined;
      if (task?.jitVersion === undefined) return await code.run(component, invocation);
      return await (await jit.get()).kinds.jit.run(component, invocation);
    },
  };
}

/** The `handlerType: llm` kind: the loop samples every llm answer, so it loads with the first. */
export function llmKind(jit: OnDemand<JitParts>): HandlerKind {
  return {
    run: async (component, invocation) => {
      const loaded = jit.loaded ?? await jit.get();
      return await loaded.kinds.llm.run(component, invocation);
    },
  };
}

/** The store scopes the JIT loop keeps for an app, removed when it is deregistered. */
export async function jitScopes(appId: string): Promise<string[]> {
  return (await import("../jit/mod.ts")).jitScopes(appId);
}
