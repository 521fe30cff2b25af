import type { ExecutionTokens } from "../auth/mod.ts";
import type { ClusterRuns } from "../cluster/mod.ts";
import { type Clock, KilnError, Lazy, type Logger, OnDemand, VERSION } from "../core/mod.ts";
import type { ToolRegistry } from "../mcp/mod.ts";
import type { DefinitionIssue } from "../models/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { HandlerKind, Router } from "../router/mod.ts";
import type { StateManager, StoreDriver } from "../state/mod.ts";
import type { ComponentInvoker, RunEvent, WorkflowEngine } from "../workflow/mod.ts";
import { META } from "./first_start.ts";
import type { KilnOptions } from "./options.ts";

const WORKFLOWS_USED = "workflows.used";

/** The workflow engine's code (its expression language, cel-js, with it), on first use. */
export type WorkflowCode = OnDemand<typeof import("../workflow/mod.ts")>;

export function workflowCode(): WorkflowCode {
  return new OnDemand("the workflow engine", () => import("../workflow/mod.ts"));
}

/**
 * The check of `workflows/<id>.yaml` handed to the definition store: `ready` loads the engine's
 * code before a commit checks such a file, so an app without workflows never loads it.
 */
export function workflowChecker(code: WorkflowCode): {
  workflow: (path: string, value: Record<string, unknown>) => DefinitionIssue[];
  ready: (kind: string) => Promise<void>;
} {
  return {
    workflow: (path, value) => {
      const loaded = code.loaded;
      if (!loaded) throw new KilnError("INTERNAL", `the workflow checker ran before it loaded`);
      return loaded.workflowDefinitionIssues(path, value);
    },
    ready: async (kind) => {
      if (kind === "workflow") await code.get();
    },
  };
}

/**
 * The workflow engine, built when first needed: a workflow component's call, the admin API, or
 * resuming the runs a previous process left in flight. It closes before the sandbox, so
 * in-flight runs stay resumable; its `jit`/`llm` steps go through the router.
 */
export function workflowsOnDemand(
  code: WorkflowCode,
  opts: KilnOptions,
  deps: {
    store: StoreDriver;
    registry: Registry;
    state: StateManager;
    tools: ToolRegistry;
    executionTokens: ExecutionTokens;
    router: () => Router;
    clock: Clock;
    logger: Logger;
    cluster?: ClusterRuns<RunEvent>;
  },
): OnDemand<{ engine: WorkflowEngine; kind: HandlerKind }> {
  return new OnDemand("the workflow engine", async () => {
    const workflow = await code.get();
    // Before any run can start: the mark that a later start has runs it may need to resume.
    await deps.store.set(META, WORKFLOWS_USED, true);
    const components = new Lazy<ComponentInvoker>("the workflow engine's component invoker");
    components.set(workflow.routerComponentInvoker(
      deps.router(),
      deps.registry,
      () => deps.clock.now(),
    ));
    const engine = workflow.createWorkflowEngine({
      store: deps.store,
      registry: deps.registry,
      state: deps.state,
      tools: deps.tools,
      executionTokens: deps.executionTokens,
      components,
      logger: deps.logger,
      clock: deps.clock,
      version: VERSION,
      ...opts.workflows,
      ...(deps.cluster ? { leases: deps.cluster.leases, events: deps.cluster.events } : {}),
    });
    return { engine, kind: workflow.workflowHandler(engine) };
  });
}

/** The `handlerType: workflow` kind: the engine loads with the first workflow component's call. */
export function workflowKind(
  workflows: OnDemand<{ engine: WorkflowEngine; kind: HandlerKind }>,
): HandlerKind {
  return {
    run: async (component, invocation) =>
      await (workflows.loaded ?? await workflows.get()).kind.run(component, invocation),
  };
}

/**
 * Whether runs a previous process left in flight may exist: only once this data dir's workflow
 * engine has loaded. A node whose apps never ran a workflow resumes nothing, so its engine stays
 * unloaded; a cluster node always looks (another node's runs may need adopting).
 */
export async function mayHaveRuns(store: StoreDriver, cluster: boolean): Promise<boolean> {
  return cluster || (await store.get(META, WORKFLOWS_USED)).found;
}
