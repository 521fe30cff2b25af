import { basename, join } from "node:path";
import { AdminSessions } from "./admin/mod.ts";
import { ClusterNode } from "./cluster/mod.ts";
import { Authenticator, ExecutionTokens, setupAdminToken } from "./auth/mod.ts";
import { CodeBundler, codeHandler, prepareCode, wasmComponentIssues } from "./bundler/mod.ts";
import { type ClusterRuns, openClusterRuns } from "./cluster/mod.ts";
import {
  type Clock,
  type JsonValue,
  kilnChildCommand,
  Lazy,
  Logger,
  systemClock,
  VERSION,
} from "./core/mod.ts";
import { type ClusterView, createHttpApp, gitHookHandler, listen } from "./http/mod.ts";
import {
  type Cassette,
  type LlmConfig,
  LlmGateway,
  llmHandler,
  type LlmProvider,
  LlmRunner,
  type LlmTimers,
  type ModelProfile,
} from "./llm/mod.ts";
import { type AppInvoker, createMcpEndpoint, type McpEndpoint, ToolRegistry } from "./mcp/mod.ts";
import { MetricCollector, type MetricCollectorOptions } from "./metrics/mod.ts";
import {
  componentRegistryIssues,
  LocalPushGate,
  publishingPushGate,
  Registry,
  type RegistryPeers,
  watchRepos,
} from "./registry/mod.ts";
import {
  AppVolumes,
  type DefinitionIssue,
  EmbeddedStore,
  GitDefinitionStore,
  type PushGate,
  RedisStore,
  RuntimeState,
  StateManager,
  type StoreDriver,
} from "./state/mod.ts";
import { generatedCode, jitScopes, JitService, Oracle, sampled } from "./jit/mod.ts";
import type { AppDefinition, GlobalOptimizationRule } from "./models/mod.ts";
import { Router } from "./router/mod.ts";
import { ProcessRenderer } from "./template/mod.ts";
import { coreTools, type JitToolDeps } from "./tools/mod.ts";
import {
  IsolateTier,
  JcoComponentRunner,
  SandboxManager,
  type TierDriver,
  WasmTier,
} from "./sandbox/mod.ts";
import {
  BackgroundContainerTier,
  type ContainerTier,
  startContainerTier,
} from "./sandbox/container/mod.ts";
import {
  type ComponentInvoker,
  createWorkflowEngine,
  routerComponentInvoker,
  type RunEvent,
  workflowDefinitionIssues,
  type WorkflowEngine,
  workflowHandler,
  type WorkflowSettings,
} from "./workflow/mod.ts";

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
  /** Files of an app to register when the data dir is new (the example app). */
  firstStartApp?: Record<string, string>;
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
    config: LlmConfig;
    cassettes?: Cassette[];
    timers?: LlmTimers;
    /** Builds each profile's provider instead of the gateway (`kiln dev` replays live cassettes). */
    providerFor?: (name: string, profile: ModelProfile) => LlmProvider;
  };
  /** Start the container tier when Docker answers (default false; `kiln serve` turns it on). */
  containers?: boolean;
  /**
   * Leave what the first requests do not need to `kiln.start()`, called once the server listens
   * (`kiln serve` does): the container tier, the example app's registration on a new data dir,
   * resuming workflow runs, and warming the sandboxes. Until it is done, requests wait for it;
   * only `GET /healthz` answers at once. Executions on the container tier wait for it to start.
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

/** A running Kiln core: its HTTP handler and the services behind it. */
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
   * longer wait; the container tier and sandbox warm-up go on in the background.
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

const META = "kiln:meta";
/** How long registering or updating an app waits for it to get ready (see `prepareCode`). */
const PREPARE_WAIT_MS = 10_000;

/**
 * The composition root: opens the stores, restores the registry and builds the HTTP handler.
 * Every runtime part is created here and passed down, so tests can assemble their own.
 */
export async function createKiln(opts: KilnOptions): Promise<Kiln> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? new Logger({ service: "kiln" });
  await Deno.mkdir(join(opts.dataDir, "apps"), { recursive: true });
  const storeUrl = opts.storeUrl ?? opts.cluster?.url;
  const store: StoreDriver = storeUrl
    ? await RedisStore.connect(storeUrl, { clock })
    : EmbeddedStore.open(join(opts.dataDir, "kiln.db"), { clock });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    const node = opts.cluster
      ? await ClusterNode.join({ ...opts.cluster, clock, logger })
      : undefined;
    if (node) cleanups.unshift(() => node.close());
    // Closed after the workflow engine, which releases its run leases through it.
    let cluster: ClusterRuns<RunEvent> | undefined;
    if (opts.cluster) {
      // The node's command connection serves the runs too: one factory, one deadline.
      cluster = await openClusterRuns<RunEvent>({
        conn: node!.conn,
        nodeId: node!.nodeId,
        // A checkpoint save checks the run's lease in the same script, when both share a Redis.
        fenceSaves: storeUrl === opts.cluster.url,
        logger,
      });
      cleanups.unshift(() => cluster?.close());
    }
    // Opened first and closed last, so shutdown's own calls are still counted.
    const sandboxRef = new Lazy<SandboxManager>("the sandbox manager (live gauges)");
    const metrics = MetricCollector.open({
      ...opts.metrics,
      ...(cluster ? { node: cluster.nodeId } : {}),
      path: join(opts.dataDir, "metrics.db"),
      clock,
      logger,
      readLive: (sink) => {
        if (!sandboxRef.ready) return;
        for (const [tier, stats] of Object.entries(sandboxRef.get().stats())) {
          sink.gauge("kiln.sandbox.instances", stats.live, { tier });
        }
      },
    });
    cleanups.unshift(() => metrics.close());
    const admin = await setupAdminToken(store, opts.adminToken);
    // The hook endpoint listens before any repo is opened: opening one writes the hook's URL.
    const hookGate = new Lazy<(req: Request) => Promise<Response>>("the git hook endpoint");
    const hooks = opts.gitHooks ?? true;
    let hookUrl: string | undefined;
    if (hooks !== false) {
      const abort = new AbortController();
      const server = listen((req) => hookGate.get()(req), {
        port: 0,
        hostname: "127.0.0.1",
        signal: abort.signal,
      });
      hookUrl = server.url;
      cleanups.unshift(async () => {
        abort.abort();
        await server.finished;
      });
    }
    const definitions = new GitDefinitionStore({
      dataDir: opts.dataDir,
      clock,
      checkers: {
        workflow: workflowDefinitionIssues,
        componentRegistry: componentRegistryIssues,
      },
      pushHook: hookUrl === undefined ? undefined : {
        url: hookUrl,
        command: typeof hooks === "object" ? hooks.command : kilnCommand(),
      },
      publisher: node?.refs,
    });
    const volumes = new AppVolumes(join(opts.dataDir, "volumes"));
    const state = new StateManager(definitions, new RuntimeState(store), volumes);
    // Filled once the container tier exists (below); until then no image can be checked.
    let imageIssues: (definition: AppDefinition) => Promise<DefinitionIssue[]> = () =>
      Promise.resolve([]);
    const registry = new Registry({
      state,
      store,
      clock,
      logger,
      configuration: opts.configuration,
      appScopes: jitScopes,
      imageIssues: (definition) => imageIssues(definition),
      componentIssues: wasmComponentIssues,
      peers: node && peersOf(node),
    });
    const local: PushGate = node
      ? publishingPushGate(
        new LocalPushGate(registry),
        (appId, objects, expected, next) => definitions.publishPush(appId, objects, expected, next),
      )
      : new LocalPushGate(registry);
    const gate = opts.pushGate?.(local) ?? local;
    hookGate.set(gitHookHandler({
      gate,
      verify: (appId, secret) => definitions.verifyPushSecret(appId, secret),
      objects: (appId, dirs) => definitions.pushedObjects(appId, dirs),
      logger,
    }));
    await registry.load();
    const deferred = opts.deferStart ?? false;
    const go = Promise.withResolvers<void>();
    if (!deferred) await registerOnFirstStart(store, registry, opts.firstStartApp, logger);

    if (opts.watch ?? true) {
      const watcher = watchRepos(join(opts.dataDir, "apps"), (appId) => {
        registry.sync(appId).catch((err) =>
          logger.warn("sync after repository change failed", { appId, error: String(err) })
        );
      });
      cleanups.unshift(() => watcher.close());
    }
    if (store instanceof EmbeddedStore) {
      const timer = setInterval(() => store.sweep(), 60_000);
      Deno.unrefTimer(timer);
      cleanups.unshift(() => clearInterval(timer));
    }

    const executionTokens = await ExecutionTokens.open(store, clock, cluster?.revocations);
    // --- container tier: before the tools, which run core.linux in it ---
    const mcpRef = new Lazy<McpEndpoint>("the /mcp endpoint (container tier)");
    const startContainers = () =>
      startContainerTier({
        enabled: opts.containers ?? false,
        dataDir: opts.dataDir,
        logger,
        clock,
        registry,
        mcp: mcpRef,
      });
    // Deferred, the tier starts after `start()`; the sandbox manager closes it.
    const background = deferred && opts.containers
      ? new BackgroundContainerTier(startContainers)
      : undefined;
    const containers = deferred ? null : await startContainers();
    if (containers) cleanups.unshift(() => containers.close());
    const containerTier = background ?? containers?.tier;
    imageIssues = (definition) =>
      poolImageIssues(definition, async () => {
        if (!background) return containers?.tier ?? null;
        // Registration does not wait on a Docker that is slow to answer; the tier says so itself.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<null>((r) => timer = setTimeout(() => r(null), 2_000));
        return await Promise.race([background.started, late]).finally(() => clearTimeout(timer));
      });
    // --- end container tier ---
    const llm = new LlmGateway({
      config: opts.llm?.config ?? { profiles: {} },
      cassettes: opts.llm?.cassettes,
      timers: opts.llm?.timers,
      providerFor: opts.llm?.providerFor,
      logger,
      metrics,
      appModel: (appId, componentId) => {
        const hit = registry.getAppConfigurationValue(appId, "llm.model", componentId);
        return typeof hit.value === "string" ? hit.value : undefined;
      },
    });
    // App templates never render on Kiln's thread: each app has its own renderer process.
    const templates = new ProcessRenderer({
      logger,
      command: kilnChildCommand({ denoPath: opts.denoPath }),
    });
    cleanups.unshift(() => templates.close());
    const llmRunner = new LlmRunner({
      state,
      renderer: templates,
      logger,
      timers: opts.llm?.timers,
    });
    // The router and the JIT loop call tools, so both are built after the registry: set below.
    const appInvoker = new Lazy<AppInvoker>("the tool registry's app invoker (the router)");
    const jitLoop = new Lazy<JitToolDeps>("the JIT loop behind core.jit.*");
    const tools = new ToolRegistry(
      { registry, logger, clock, metrics, invoker: appInvoker },
      coreTools({ state, registry, llm, linux: containerTier, metrics, jit: jitLoop }),
    );
    cleanups.unshift(() => tools.close());
    const auth = new Authenticator(
      admin.verifier,
      (key) => registry.validateApiKey(key),
      executionTokens,
    );
    const mcp = createMcpEndpoint({
      catalog: tools,
      authenticate: (header) => auth.authenticate(header),
      logger,
      version: VERSION,
      clock,
      allowedOrigins: opts.mcpAllowedOrigins,
      allowedHosts: opts.mcpAllowedHosts,
      publicUrl: opts.publicUrl,
    });
    cleanups.unshift(() => mcp.close());
    mcpRef.set(mcp);
    // The workflow engine; it closes before the sandbox, so in-flight runs stay resumable.
    // Its `jit`/`llm` steps go through the router, which runs workflow components on it.
    const componentInvoker = new Lazy<ComponentInvoker>("the workflow engine's component invoker");
    const workflows = createWorkflowEngine({
      store,
      registry,
      state,
      tools,
      executionTokens,
      components: componentInvoker,
      logger,
      clock,
      version: VERSION,
      ...opts.workflows,
      ...(cluster ? { leases: cluster.leases, events: cluster.events } : {}),
    });
    const { tiers, warm } = opts.tiers ? { tiers: opts.tiers, warm: () => {} } : defaultTiers(
      logger,
      opts,
    );
    const sandbox = new SandboxManager(
      containerTier ? [...tiers, containerTier] : tiers,
      logger,
      metrics,
    );
    sandboxRef.set(sandbox);
    cleanups.unshift(() => sandbox.close());
    const bundler = new CodeBundler(state);
    const jitService = new JitService({
      state,
      registry,
      store,
      tools,
      sandbox,
      prompts: llmRunner,
      clock,
      logger,
      random: opts.random,
      metrics,
    });
    const every = opts.optimization?.evaluateEveryMs ?? 60_000;
    const savedRules = await store.get(META, "optimization.globalRules");
    const oracle = new Oracle({
      registry,
      jit: jitService,
      globalRules: opts.optimization?.globalRules ??
        (savedRules.found ? savedRules.value as unknown as GlobalOptimizationRule[] : []),
      saveGlobalRules: (rules) =>
        store.set(META, "optimization.globalRules", rules as unknown as JsonValue),
      metrics,
      clock,
      logger,
      ...(cluster && every > 0 ? { turn: cluster.oracleTurn(every) } : {}),
    });
    jitLoop.set({ service: jitService, oracle });
    if (every > 0) oracle.start(every);
    cleanups.unshift(async () => {
      oracle.stop();
      await jitService.idle();
    });
    // Each handlerType is a kind; the JIT loop wraps the code and llm kinds (fallback, shadow
    // checks, sampling).
    const code = codeHandler({ bundler, sandbox });
    // A registered or updated app's code is built, and its tier readied (the app's own isolate
    // host started), before its registration answers: its first request then waits for neither.
    const preparing = new Set<Promise<void>>();
    const unprepare = registry.onAppsChanged((appId) => {
      if (!registry.listActiveApplications().some((a) => a.appId === appId)) return;
      const { revision, components } = registry.snapshot(appId);
      const done = prepareCode({ bundler, sandbox }, appId, revision, components.values());
      preparing.add(done);
      void done.finally(() => preparing.delete(done));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, PREPARE_WAIT_MS)));
      return Promise.race([done, late]).finally(() => clearTimeout(timer));
    });
    cleanups.unshift(async () => {
      unprepare();
      await Promise.all(preparing);
    });
    const llmKind = llmHandler({ runner: llmRunner, sandbox });
    const router = new Router({
      registry,
      handlers: {
        jit: generatedCode({ code, llm: llmKind, hooks: jitService.hooks }),
        llm: sampled(llmKind, jitService.hooks),
        workflow: workflowHandler(workflows),
      },
      tools,
      executionTokens,
      logger,
      clock,
      metrics,
    });
    appInvoker.set((...args) => router.invoke(...args));
    componentInvoker.set(routerComponentInvoker(router, registry, () => clock.now()));
    cleanups.unshift(() => workflows.close());
    const app = createHttpApp({
      registry,
      state,
      auth,
      logger,
      version: VERSION,
      executionTokens,
      mcp,
      router,
      workflows,
      metrics,
      jitService,
      oracle,
      // The admin panel, its tool explorer and sandbox view
      adminSessions: new AdminSessions(store, { clock }),
      tools,
      sandboxes: () => sandbox.overview(),
      cluster: node && cluster ? clusterView(node, cluster) : undefined,
    });
    if (node) {
      await node.run({
        apply: async (event) => {
          if (event.kind === "head") await definitions.pull(event.appId);
          else await registry.refresh(event.appId, event.deleteState);
        },
        resync: () => registry.resync(),
        stats: () => ({
          apps: registry.listActiveApplications().length,
          runs: workflows.activeRuns,
        }),
      }, opts.publicUrl ?? "");
    }
    // Runs a crashed or stopped process left in flight go on from their checkpoints; in a
    // cluster, the sweeper also takes over runs whose node died.
    const resume = async () => {
      await workflows.resume();
      if (!cluster) return;
      const sweeper = cluster.sweep((appId, runId) => workflows.adopt(appId, runId));
      cleanups.unshift(() => sweeper.stop());
    };
    if (opts.warmSandboxes && !deferred) warm();
    let starting: Promise<void> | null = null;
    if (deferred) {
      starting = go.promise.then(async () => {
        background?.begin();
        await registerOnFirstStart(store, registry, opts.firstStartApp, logger).catch((err) =>
          logger.error("registering the example app failed", { error: String(err) })
        );
        await resume().catch((err) =>
          logger.error("resuming workflow runs failed", { error: String(err) })
        );
      }).finally(() => {
        starting = null;
        if (opts.warmSandboxes) warm();
      });
    } else {
      await resume();
    }
    const fetch = app.fetch;
    return {
      // While deferred start-up runs, requests wait for it; the liveness probe does not.
      handler: (req) =>
        starting === null || new URL(req.url).pathname === "/healthz"
          ? fetch(req)
          : starting.then(() => fetch(req)),
      registry,
      state,
      store,
      tools,
      llm,
      llmRunner,
      templates,
      executionTokens,
      mcp,
      router,
      sandbox,
      bundler,
      workflows,
      cluster: node,
      generatedAdminToken: admin.generated,
      containerTier: containers?.tier,
      start: () => {
        go.resolve();
        return starting ?? Promise.resolve();
      },
      metrics,
      jitService,
      oracle,
      close: async () => {
        for (const cleanup of cleanups) await cleanup();
      },
    };
  } catch (err) {
    for (const cleanup of cleanups) await cleanup();
    throw err;
  }
}

/**
 * The images an app's sandbox pools name that Docker does not have: they would fail every
 * request with 503 "No such image". Without a container tier nothing can be checked (and no
 * container component runs).
 */
async function poolImageIssues(
  definition: AppDefinition,
  tier: () => Promise<ContainerTier | null>,
): Promise<DefinitionIssue[]> {
  const pools = definition.sandboxPools?.pools ?? [];
  if (pools.length === 0) return [];
  const docker = (await tier())?.docker;
  if (!docker) return [];
  const issues: DefinitionIssue[] = [];
  for (const [i, pool] of pools.entries()) {
    if (await docker.imageExists(pool.dockerImage).catch(() => true)) continue;
    issues.push({
      path: "app_definition.yaml",
      field: `sandboxPools.pools.${i}.dockerImage`,
      message: `expected an image Docker has; found ${
        JSON.stringify(pool.dockerImage)
      }, which it does not (build it with kiln sandbox build-images, or pull it)`,
    });
  }
  return issues;
}

/**
 * How an app repo's hook runs `kiln`: the compiled binary is this executable; from source,
 * deno runs this tree's `src/main.ts` with its config and only what the hook needs (read the
 * repo, its environment, and Kiln's loopback port).
 */
function kilnCommand(): string[] {
  const exec = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(basename(exec))) return [exec];
  const path = (rel: string) => decodeURIComponent(new URL(rel, import.meta.url).pathname);
  return [
    exec,
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${path("../deno.json")}`,
    "--allow-read",
    "--allow-env",
    "--allow-net=127.0.0.1",
    path("./main.ts"),
  ];
}

/** The registry's view of the other nodes: the change feed and this node's own trouble. */
function peersOf(node: ClusterNode): RegistryPeers {
  return {
    shared: true,
    announce: (appId, change, deleteState) => node.announce(appId, change, deleteState),
    localTrouble: (appId, reason) => node.localTrouble(appId, reason),
  };
}

/** The isolate and wasm tiers, and how to start the QuickJS workers ahead of the first use. */
function defaultTiers(logger: Logger, opts: KilnOptions): { tiers: TierDriver[]; warm(): void } {
  const wasm = new WasmTier({ logger, components: new JcoComponentRunner() });
  return {
    tiers: [
      new IsolateTier({ logger, command: kilnChildCommand({ denoPath: opts.denoPath }) }),
      wasm,
    ],
    warm: () => wasm.warm(),
  };
}

async function registerOnFirstStart(
  store: StoreDriver,
  registry: Registry,
  files: Record<string, string> | undefined,
  logger: Logger,
): Promise<void> {
  const seen = await store.get(META, "initialized");
  if (seen.found) return;
  if (files && registry.listApplications().length === 0) {
    const details = await registry.registerApplication({ files }, "Kiln <kiln@localhost>");
    logger.info("registered the example app on first start", { appId: details.appId });
  }
  await store.set(META, "initialized", new Date().toISOString());
}

/** The HTTP layer's view of the cluster: membership from the node, peers from the run layer. */
function clusterView(node: ClusterNode, runs: ClusterRuns<RunEvent>): ClusterView {
  return {
    nodeId: node.nodeId,
    status: () => node.status(),
    health: () => node.health(),
    peers: () => runs.peers(),
  };
}
