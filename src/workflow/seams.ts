/**
 * What the workflow engine is handed by the composition root: who runs components, who runs MCP
 * tools, and where workflow definitions come from. Each is an interface, so unit tests back
 * them with in-process functions and the engine stays a library (it also runs in the Deno runner
 * image, where a container executes a whole workflow).
 */
import type { JsonValue } from "../core/mod.ts";
import type { DeltaListener } from "../mcp/mod.ts";
import type { StoreFence } from "../state/mod.ts";
import type { CompiledWorkflow, RunEvent } from "./types.ts";

/** One `jit` or `llm` step's call. */
export interface ComponentCall {
  appId: string;
  revision: string;
  workflowId: string;
  runId: string;
  stepId: string;
  type: "jit" | "llm";
  target: Record<string, unknown>;
  input: JsonValue;
  signal: AbortSignal;
  /** An llm step's streamed text, for the run's `step.delta` events. */
  onDelta?: DeltaListener;
}

/** Runs `jit` and `llm` steps; Kiln backs it with `Router.invoke`. */
export interface ComponentInvoker {
  invoke(call: ComponentCall): Promise<JsonValue>;
}

/** One `mcp` step's call. */
export interface McpCall {
  appId: string;
  workflowId: string;
  runId: string;
  stepId: string;
  tool: string;
  /** An external server the app declares; absent means a core tool. */
  server?: string;
  args: Record<string, JsonValue>;
  /** Core tools the workflow names: exactly what its execution token allows. */
  coreTools: readonly string[];
  configuration: Record<string, unknown>;
  signal: AbortSignal;
}

/** Runs `mcp` steps (core tools and external servers). */
export interface McpInvoker {
  call(call: McpCall): Promise<JsonValue>;
}

/** An app as a run sees it when it starts. */
export interface AppView {
  revision: string;
  configuration: Record<string, unknown>;
}

/** Where workflows and app facts come from (the registry and the definition store in Kiln). */
export interface WorkflowSource {
  app(appId: string): AppView;
  /** The workflow at `revision`; NOT_FOUND when there is none, VALIDATION_ERROR when invalid. */
  workflow(appId: string, workflowId: string, revision: string): Promise<CompiledWorkflow>;
}

/** A node's hold on one run: the node drives the run only while it holds the lease. */
export interface RunLease {
  /** Aborts when the lease is lost or could not be renewed in time: stop driving at once. */
  readonly lost: AbortSignal;
  /**
   * Present when the store can check the lease in the same atomic step as a checkpoint save
   * (cluster mode with the store on the cluster's Redis): a save after the lease was lost is
   * refused instead of overwriting the next owner's progress.
   */
  readonly fence?: StoreFence;
  /** Gives the lease up; `finished` (the end is saved) also drops the run from the in-flight set. */
  release(finished: boolean): Promise<void>;
}

/**
 * Who may drive a run. One node always may (the default); in a cluster, leases in Redis make
 * sure one node at a time does, and a dead node's runs are taken over by another.
 */
export interface RunLeases {
  /** Takes the lease on a run (tracking it as in flight); null when another node holds it. */
  acquire(appId: string, runId: string): Promise<RunLease | null>;
}

/** Where step-progress events go: this process only, or every node of a cluster. */
export interface RunEventBus {
  emit(event: RunEvent): void;
  subscribe(runId: string, listener: (event: RunEvent) => void): () => void;
  /** Asks whichever node drives run `runId` to cancel it (a cluster; absent on one node). */
  requestCancel?(runId: string): Promise<void>;
  /** Calls `handler` with each run another node asked to cancel. */
  onCancelRequest?(handler: (runId: string) => void): void;
}
