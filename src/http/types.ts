import type { Authenticator, ExecutionTokens, Principal } from "../auth/mod.ts";
import type { Logger } from "../core/mod.ts";
import type { AdminSessions } from "../admin/mod.ts";
import type { McpEndpoint, ToolCatalog } from "../mcp/mod.ts";
import type { MetricCollector } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { SandboxOverview } from "../sandbox/mod.ts";
import type { StateManager } from "../state/mod.ts";
import type { WorkflowEngine } from "../workflow/mod.ts";
import type { JitService, Oracle } from "../jit/mod.ts";

/** What the HTTP app is built from; everything is passed in, nothing is global. */
export interface HttpDeps {
  registry: Registry;
  state: StateManager;
  auth: Authenticator;
  logger: Logger;
  version: string;
  /** Largest JSON body accepted, in bytes. */
  maxJsonBytes?: number;
  /** Largest app tarball accepted, in bytes. */
  maxUploadBytes?: number;
  /** The MCP endpoint, served at `/mcp` and its protected-resource metadata paths. */
  mcp?: McpEndpoint;
  /** Mints execution tokens for `POST /v1/apps/{appId}/execution-tokens`. */
  executionTokens?: ExecutionTokens;
  /** The request router, answering app ingress `ANY /apps/{appId}/...` (caps its own bodies). */
  router?: { handle(req: Request): Promise<Response> };
  /** The workflow engine, for `/v1/apps/{appId}/runs` and starting runs. */
  workflows?: Pick<WorkflowEngine, "start" | "get" | "list" | "cancel" | "subscribe">;
  /** The metric collector, for `GET /metrics` and `/v1/metrics`. */
  metrics?: Pick<MetricCollector, "query" | "names" | "prometheus" | "now">;
  /** The JIT loop and the oracle, for `/v1/apps/{appId}/jit` and `/v1/optimization`. */
  jitService?: JitService;
  oracle?: Oracle;
  /**
   * Where these load on first use (a node started with `deferStart`, ADR 0025): the routes that
   * need the JIT loop or the workflow engine load it; the others never wait for it.
   */
  load?: {
    jit(): Promise<{ service: JitService; oracle: Oracle }>;
    workflows(): Promise<NonNullable<HttpDeps["workflows"]>>;
  };
  /** Admin panel sessions: `/admin`, and a session cookie acting as the admin on `/v1`. */
  adminSessions?: AdminSessions;
  /** The tool registry, for the admin `/v1/tools` routes. */
  tools?: ToolCatalog;
  /** Tiers and container pools for `GET /v1/sandboxes`. */
  sandboxes?: () => SandboxOverview;
  /**
   * Cluster mode: the nodes for `GET /v1/cluster`, what `GET /healthz` answers, and the peers
   * cluster-wide answers ask.
   */
  cluster?: ClusterView;
}

/** A cluster node as the HTTP layer sees it. */
export interface ClusterView {
  status(): Promise<{
    nodeId: string;
    nodes: {
      nodeId: string;
      url: string;
      startedAt: string;
      lastSeenAt: string;
      status: "up" | "suspect" | "gone";
      apps: number;
      runs: number;
      failedApps: { appId: string; reason: string }[];
    }[];
  }>;
  /** Whether this node can serve: a load balancer drains it otherwise. */
  health(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** This node's id. */
  nodeId: string;
  /** The other nodes that are up, with the URL they advertise. */
  peers(): Promise<{ nodeId: string; url: string }[]>;
}

/** Hono context variables set by Kiln's middleware. */
export type KilnEnv = {
  Variables: {
    principal: Principal;
    log: Logger;
    requestId: string;
  };
};
