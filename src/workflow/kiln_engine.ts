/**
 * The workflow engine as a Kiln node assembles it: workflows from the registry and the
 * definition store, `mcp` steps through the tool registry and external servers, runs on the
 * node's runtime store. `jit`/`llm` steps go through the router, which is built after the engine
 * (it runs workflow components on it): the engine holds a `Lazy` reference the node fills once.
 */
import type { ExecutionTokens } from "../auth/mod.ts";
import type { Clock, Lazy, Logger } from "../core/mod.ts";
import type { ToolCatalog } from "../mcp/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { StateManager, StoreDriver } from "../state/mod.ts";
import { WorkflowEngine } from "./engine.ts";
import { mcpInvoker } from "./mcp_invoker.ts";
import { ExternalMcpServers } from "./mcp_servers.ts";
import type { ComponentInvoker, RunEventBus, RunLeases } from "./seams.ts";
import { registryWorkflowSource } from "./workflow_source.ts";

/** Operator settings of the workflow engine. */
export interface WorkflowSettings {
  /** Commands apps may start as stdio MCP servers (`"*"`: any). Default: none. */
  mcpCommands?: readonly string[] | "*";
  /** How long finished runs are kept, in seconds. Default 7 days. */
  retentionSeconds?: number;
}

/** What a node's engine is built from. */
export interface KilnWorkflowDeps extends WorkflowSettings {
  store: StoreDriver;
  registry: Registry;
  state: StateManager;
  tools: ToolCatalog;
  executionTokens: Pick<ExecutionTokens, "mint" | "verify" | "revoke">;
  /** What runs `jit` and `llm` steps (the router), set once the router exists. */
  components: Lazy<ComponentInvoker>;
  logger: Logger;
  clock?: Clock;
  version: string;
  /** Cluster mode: run leases and cluster-wide step events (absent: this node alone). */
  leases?: RunLeases;
  events?: RunEventBus;
}

/** Builds the engine of one Kiln node; its `close()` also stops external MCP servers. */
export function createWorkflowEngine(deps: KilnWorkflowDeps): WorkflowEngine {
  const servers = new ExternalMcpServers({
    allowCommands: deps.mcpCommands ?? [],
    logger: deps.logger,
    version: deps.version,
  });
  const engine = new WorkflowEngine({
    store: deps.store,
    source: registryWorkflowSource(deps.registry, deps.state.definitions),
    mcp: mcpInvoker({ tools: deps.tools, executionTokens: deps.executionTokens, servers }),
    components: { invoke: (call) => deps.components.get().invoke(call) },
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.retentionSeconds ? { retentionSeconds: deps.retentionSeconds } : {}),
    ...(deps.leases ? { leases: deps.leases } : {}),
    ...(deps.events ? { events: deps.events } : {}),
  });
  const close = engine.close.bind(engine);
  engine.close = async () => {
    await close();
    await servers.close();
  };
  return engine;
}
