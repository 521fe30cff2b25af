import type { ClusterNode } from "../cluster/mod.ts";
import type { CodeBundler } from "../bundler/mod.ts";
import type { ExecutionTokens } from "../auth/mod.ts";
import type { Clock, Logger } from "../core/mod.ts";
import type {
  Cassette,
  LlmConfig,
  LlmGateway,
  LlmProvider,
  LlmRunner,
  LlmTimers,
  ModelProfile,
} from "../llm/mod.ts";
import type { McpEndpoint, ToolRegistry } from "../mcp/mod.ts";
import type { MetricCollector, MetricCollectorOptions } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { PushGate, StateManager, StoreDriver } from "../state/mod.ts";
import type { JitService, Oracle } from "../jit/mod.ts";
import type { GlobalOptimizationRule } from "../models/mod.ts";
import type { Router } from "../router/mod.ts";
import type { ProcessRenderer } from "../template/mod.ts";
import type { SandboxManager, TierDriver } from "../sandbox/mod.ts";
import type { ContainerTier } from "../sandbox/container/mod.ts";
import type { WorkflowEngine, WorkflowSettings } from "../workflow/mod.ts";

/** How to assemble one Kiln node. */
export interface KilnOptions {
  dataDir: string;
  /** `redis://…` puts runtime state on Redis; absent means the embedded store in the data dir. */
  storeUrl?: string;
  /**
   * Cluster mode: join the nodes sharing this Redis (`--cluster`); runtime state goes on the same
   * Redis unless `storeUrl` names another.
   */
  cluster?: { url: string; nodeId?: string; advertiseUrl?: string };
  /** The admin token (`KILN_ADMIN_TOKEN`); absent means the stored one, or a new one. */
  adminToken?: string;
  clock?: Clock;
  logger?: Logger;
  /** The global level of configuration lookups. */
  configuration?: Record<string, unknown>;
  /**
   * Files of an app to register when the data dir is new (the example app); a function is
   * called only then, so the files load only on a first start.
   */
  firstStartApp?: Record<string, string> | (() => Promise<Record<string, string>>);
  /** Watch app repos for outside pushes (on by default). */
  watch?: boolean;
  /**
   * Make every app repo's `pre-receive` hook ask this Kiln to check a push (on by default):
   * a loopback listener of its own serves the hook. `command` overrides how the hook runs
   * `kiln` (default: this executable, or deno running this source tree's `src/main.ts`).
   */
  gitHooks?: boolean | { command: string[] };
  /** Wraps the push gate (cluster mode adds its compare-and-swap of the shared head). */
  pushGate?: (local: PushGate) => PushGate;
  /** Browser origins `/mcp` accepts besides same-origin and loopback. */
  mcpAllowedOrigins?: string[];
  /** Host names `/mcp` accepts besides loopback (DNS-rebinding protection). */
  mcpAllowedHosts?: string[];
  /** The URL clients reach Kiln at, for MCP resource metadata behind a proxy. */
  publicUrl?: string;
  /**
   * The sandbox tiers; default: the isolate tier (Kiln itself as host process) and the wasm tier.
   * Passed in so tests and embedders can size them; Kiln closes them on shutdown.
   */
  tiers?: TierDriver[];
  /**
   * From source: the deno binary Kiln's own children (isolate hosts, renderers) run on
   * (`KILN_DENO_PATH`; default: the running one). A compiled Kiln is always its own child.
   */
  denoPath?: string;
  /** Start the default tiers' workers ahead of first use (after `start()` with `deferStart`). */
  warmSandboxes?: boolean;
  /** The LLM gateway's profiles and embedded cassettes; absent, LLM calls are not configured. */
  llm?: {
    /** The profiles; a function is called when the gateway first loads. */
    config: LlmConfig | (() => Promise<LlmConfig>);
    /** Recordings to replay; a function is called when the gateway first loads. */
    cassettes?: Cassette[] | (() => Promise<Cassette[]>);
    timers?: LlmTimers;
    /** Builds each profile's provider instead of the gateway (`kiln dev` replays live cassettes). */
    providerFor?: (name: string, profile: ModelProfile) => LlmProvider;
  };
  /** Start the container tier when Docker answers (default false; `kiln serve` turns it on). */
  containers?: boolean;
  /**
   * Leave what the first requests do not need to `kiln.start()`, called once the server listens
   * (`kiln serve` does): restoring the registered apps, the container tier, the example app's
   * registration on a new data dir, resuming workflow runs, and warming the sandboxes, with the
   * YAML, JSON Schema and regex engines they need (ADR 0029). Until it is done, requests wait for it;
   * only `GET /healthz` answers at once. Executions on the container tier wait for it to start.
   * It also leaves the subsystems first requests do not need unloaded until their first use
   * (ADR 0025): the workflow engine, the JIT loop, the LLM gateway and the admin API; without
   * it they are loaded before `createKiln` returns.
   */
  deferStart?: boolean;
  /** Workflow engine settings: stdio MCP commands allowed, run retention. */
  workflows?: WorkflowSettings;
  /** Metric collector settings: flush interval and retention of `<dataDir>/metrics.db`. */
  metrics?: Omit<MetricCollectorOptions, "path" | "clock" | "logger">;
  /** The optimization oracle: global rules, and how often it evaluates (0: never). */
  optimization?: { globalRules?: GlobalOptimizationRule[]; evaluateEveryMs?: number };
  /** Randomness for sampling and shadow checks (tests pass a seeded one). */
  random?: () => number;
}

/**
 * A running Kiln core: its HTTP handler and the services behind it. The workflow engine, the
 * JIT loop and the LLM gateway load on first use under `deferStart`: reading one of them before
 * then throws (`load()` loads them all).
 */
export interface Kiln {
  handler: (req: Request) => Response | Promise<Response>;
  registry: Registry;
  state: StateManager;
  store: StoreDriver;
  /** The MCP tool registry every tool caller goes through. */
  tools: ToolRegistry;
  /** The LLM gateway behind `core.llm.generate` (its meter has usage and cost per app). */
  llm: LlmGateway;
  /** Runs `handlerType: llm` components (the router's llm handler kind runs it). */
  llmRunner: LlmRunner;
  /** Renders apps' prompt templates, each app in its own renderer process. */
  templates: ProcessRenderer;
  /** Mints and verifies the per-execution tokens sandboxed code calls MCP with. */
  executionTokens: ExecutionTokens;
  /** `/mcp`; closed first on shutdown so open streams do not hold the server. */
  mcp: McpEndpoint;
  /** Runs components: HTTP ingress under `/apps/...` and `app.<appId>.<id>` MCP tools. */
  router: Router;
  /** The sandbox tiers components run on. */
  sandbox: SandboxManager;
  /** Bundles component scripts (cached by content hash) for the code handler kind. */
  bundler: CodeBundler;
  /** The workflow engine; its `jit`/`llm` steps run through the router. */
  workflows: WorkflowEngine;
  /** This node of the cluster (cluster mode only). */
  cluster?: ClusterNode;
  /** A newly generated admin token, to print once; set only on the first start. */
  generatedAdminToken?: string;
  /** The container tier, when Docker was reachable at start (not with `deferStart`). */
  containerTier?: ContainerTier;
  /** The metric collector at `<dataDir>/metrics.db`; flushed and closed last. */
  metrics: MetricCollector;
  /** The JIT loop: samples, generations, promote, rollback, shadow checks. */
  jitService: JitService;
  /** The optimization oracle: rules → TRIGGER_JIT / RECOMMEND_JIT. */
  oracle: Oracle;
  /**
   * Runs the start-up `deferStart` left (at once otherwise: a no-op). Resolves when requests no
   * longer wait; the container tier and sandbox warm-up go on in the background. With
   * `afterFirstResponseMs` it begins once the first request has been answered (a `/healthz`
   * probe gets the process to itself) or after that many ms, whichever comes first.
   */
  start(opts?: { afterFirstResponseMs?: number }): Promise<void>;
  /** Loads every subsystem that loads on first use (tests and tools that read them at once). */
  load(): Promise<void>;
  close(): Promise<void>;
}

/** Shutdown steps, run first to last (each part `unshift`s its own, so the last opened closes first). */
export type Cleanups = (() => Promise<void> | void)[];
