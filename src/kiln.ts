import { join } from "node:path";
import { Authenticator, ExecutionTokens, setupAdminToken } from "./auth/mod.ts";
import { CodeBundler, codeHandler, wasmComponentIssues } from "./bundler/mod.ts";
import {
  Lazy,
  loadLinearRegex,
  loadYaml,
  Logger,
  OnDemand,
  SERVE_PROCESS,
  systemClock,
  VERSION,
} from "./core/mod.ts";
import { loadNodeBuiltins } from "./core/node/mod.ts";
import { createHttpHandler, gitHookHandler } from "./http/mod.ts";
import {
  clusterView,
  containerTier,
  defaultTiers,
  hookEndpoint,
  jitKind,
  jitOnDemand,
  jitScopes,
  joinCluster,
  type Kiln,
  type KilnOptions,
  llmKind,
  llmOnDemand,
  mayHaveRuns,
  peersOf,
  prepareOnChange,
  registerOnFirstStart,
  workflowChecker,
  workflowCode,
  workflowKind,
  workflowsOnDemand,
} from "./kiln/mod.ts";
import { type AppInvoker, createMcpEndpoint, type McpEndpoint, ToolRegistry } from "./mcp/mod.ts";
import { MetricCollector } from "./metrics/mod.ts";
import {
  componentRegistryIssues,
  LocalPushGate,
  publishingPushGate,
  Registry,
  watchRepos,
} from "./registry/mod.ts";
import { Router } from "./router/mod.ts";
import { SandboxManager } from "./sandbox/mod.ts";
import { loadSchemaEngine } from "./schema/mod.ts";
import type { AppDefinition } from "./models/mod.ts";
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
import type * as CoreToolsModule from "./tools/mod.ts";

export type { Kiln, KilnOptions } from "./kiln/mod.ts";

/**
 * The core MCP tools (their modules and zod schemas). `kiln serve` loads them with the definition
 * engines, after it listens, before any request but `/healthz`; every other process at import.
 */
let toolsModule: typeof CoreToolsModule | undefined = SERVE_PROCESS
  ? undefined
  : await import("./tools/mod.ts");

/**
 * The composition root: opens the stores, restores the registry and builds the HTTP handler.
 * Every runtime part is created here and passed down, so tests can assemble their own. What the
 * first requests (`/healthz`, app ingress, `/mcp`) do not need — the workflow engine, the JIT
 * loop, the LLM gateway, the admin API, the cluster and container code — is imported on first
 * use under `deferStart` (ADR 0025), and before this returns otherwise.
 */
export async function createKiln(opts: KilnOptions): Promise<Kiln> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? new Logger({ service: "kiln" });
  const deferred = opts.deferStart ?? false;
  // Loaded in every process but `kiln serve`, which loads them on the first use that needs them:
  // a restore of persisted apps, a request other than /healthz, a push, a repo change, a
  // workflow resume, the oracle (ADR 0029).
  const parsers = new OnDemand("the YAML, JSON Schema and linear regex engines", async () => {
    await Promise.all([
      loadYaml(),
      loadSchemaEngine(),
      loadLinearRegex(),
      loadNodeBuiltins(),
      import("./tools/mod.ts").then((m) => (toolsModule = m)),
    ]);
    return true;
  });
  await Deno.mkdir(join(opts.dataDir, "apps"), { recursive: true });
  const storeUrl = opts.storeUrl ?? opts.cluster?.url;
  const store: StoreDriver = storeUrl
    ? await RedisStore.connect(storeUrl, { clock })
    : EmbeddedStore.open(join(opts.dataDir, "kiln.db"), { clock });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    // A cluster node applies its peers' changes from the start.
    if (opts.cluster) await parsers.get();
    const cluster = opts.cluster
      ? await joinCluster(opts.cluster, storeUrl, clock, logger, cleanups)
      : undefined;
    // Opened first and closed last, so shutdown's own calls are still counted.
    const sandboxRef = new Lazy<SandboxManager>("the sandbox manager (live gauges)");
    const metrics = MetricCollector.open({
      ...opts.metrics,
      ...(cluster ? { node: cluster.runs.nodeId } : {}),
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
    if (admin.persist && !deferred) await admin.persist();
    const hooks = hookEndpoint(opts.gitHooks ?? true, cleanups);
    const workflowModule = workflowCode();
    const definitions = new GitDefinitionStore({
      dataDir: opts.dataDir,
      clock,
      checkers: { ...workflowChecker(workflowModule), componentRegistry: componentRegistryIssues },
      pushHook: hooks.hook,
      publisher: cluster?.node.refs,
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
      peers: cluster && peersOf(cluster.node),
    });
    const local: PushGate = cluster
      ? publishingPushGate(
        new LocalPushGate(registry),
        (appId, objects, expected, next) => definitions.publishPush(appId, objects, expected, next),
      )
      : new LocalPushGate(registry);
    const gate = opts.pushGate?.(local) ?? local;
    const hookHandler = gitHookHandler({
      gate,
      verify: (appId, secret) => definitions.verifyPushSecret(appId, secret),
      objects: (appId, dirs) => definitions.pushedObjects(appId, dirs),
      logger,
    });
    // Under deferStart the persisted apps are restored after Kiln listens: requests but
    // /healthz, and pushes, wait for it, so none finds an app missing (ADR 0029). A cluster node
    // restores first: its peers' changes apply to a loaded registry.
    const restoreLater = deferred && !cluster;
    const restored = Promise.withResolvers<void>();
    hooks.handler.set(async (req) => {
      await restored.promise;
      await parsers.get();
      return await hookHandler(req);
    });
    const restore = async () => {
      await registry.load(() => parsers.get());
      if (opts.watch ?? true) {
        const watcher = watchRepos(join(opts.dataDir, "apps"), (appId) => {
          parsers.get().then(() => registry.sync(appId)).catch((err) =>
            logger.warn("sync after repository change failed", { appId, error: String(err) })
          );
        });
        cleanups.unshift(() => watcher.close());
      }
    };
    if (!restoreLater) await restore().finally(restored.resolve);
    const go = Promise.withResolvers<void>();
    const firstStart = () =>
      registerOnFirstStart(store, registry, opts.firstStartApp, logger, () => parsers.get());
    if (!deferred) await firstStart();
    if (store instanceof EmbeddedStore) {
      const timer = setInterval(() => store.sweep(), 60_000);
      Deno.unrefTimer(timer);
      cleanups.unshift(() => clearInterval(timer));
    }

    const executionTokens = await ExecutionTokens.open(store, clock, cluster?.runs.revocations);
    // The container tier comes before the tools, which run core.linux in it.
    const mcpRef = new Lazy<McpEndpoint>("the /mcp endpoint (container tier)");
    const containers = await containerTier(
      opts,
      { logger, clock, registry, mcp: mcpRef },
      cleanups,
    );
    imageIssues = containers.imageIssues;
    const { tiers, warm } = opts.tiers ? { tiers: opts.tiers, warm: () => {} } : defaultTiers(
      logger,
      opts,
      cleanups,
    );
    const sandbox = new SandboxManager(
      containers.tier ? [...tiers, containers.tier] : tiers,
      logger,
      metrics,
    );
    sandboxRef.set(sandbox);
    const llm = llmOnDemand(opts, { logger, metrics, registry, state, sandbox: () => sandbox });
    cleanups.unshift(async () => await (await llm.settled())?.templates.close());
    // The router and the JIT loop call tools, so both are built after the registry: set below.
    const appInvoker = new Lazy<AppInvoker>("the tool registry's app invoker (the router)");
    const tools = new ToolRegistry(
      { registry, logger, clock, metrics, invoker: appInvoker },
      () => {
        if (!toolsModule) throw new Error("the core tools are used before they loaded");
        return toolsModule.coreTools({
          state,
          registry,
          llm: { generate: async (...args) => (await llm.get()).gateway.generate(...args) },
          linux: containers.tier,
          metrics,
          jit: { get: () => jit.get() },
        });
      },
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
    const routerRef = new Lazy<Router>("the router (workflow steps)");
    const workflows = workflowsOnDemand(workflowModule, opts, {
      store,
      registry,
      state,
      tools,
      executionTokens,
      router: () => routerRef.get(),
      clock,
      logger,
      cluster: cluster?.runs,
    });
    cleanups.unshift(() => sandbox.close());
    const bundler = new CodeBundler(state);
    const code = codeHandler({ bundler, sandbox });
    const jit = jitOnDemand(opts, {
      state,
      registry,
      store,
      tools,
      sandbox,
      llm,
      code,
      metrics,
      clock,
      logger,
      cluster: cluster?.runs,
    });
    const every = opts.optimization?.evaluateEveryMs ?? 60_000;
    // Unloaded, the oracle's first evaluation is what loads the loop (then it keeps its cadence).
    const oracleTimer = every > 0
      ? setTimeout(() => void parsers.get().then(() => jit.get()).catch(() => {}), every)
      : 0;
    Deno.unrefTimer(oracleTimer);
    cleanups.unshift(async () => {
      clearTimeout(oracleTimer);
      const loop = await jit.settled();
      loop?.oracle.stop();
      await loop?.service.idle();
    });
    // Apps restored before this are not rebuilt at once: their code builds on first use.
    const prepareChanged = () => prepareOnChange(registry, { bundler, sandbox }, cleanups);
    if (!restoreLater) prepareChanged();
    const router = new Router({
      registry,
      handlers: { jit: jitKind(code, jit), llm: llmKind(jit), workflow: workflowKind(workflows) },
      tools,
      executionTokens,
      logger,
      clock,
      metrics,
    });
    routerRef.set(router);
    appInvoker.set((...args) => router.invoke(...args));
    cleanups.unshift(async () => await (await workflows.settled())?.engine.close());
    const fetch = createHttpHandler({
      registry,
      state,
      auth,
      logger,
      version: VERSION,
      executionTokens,
      mcp,
      router,
      metrics,
      tools,
      sandboxes: () => sandbox.overview(),
      cluster: cluster && clusterView(cluster),
      // The JIT and workflow routes load their subsystem on their first request.
      load: {
        jit: () => jit.get(),
        workflows: async () => (await workflows.get()).engine,
      },
    }, async () => ({
      // The admin panel's sessions load with the admin API.
      adminSessions: new (await import("./admin/mod.ts")).AdminSessions(store, { clock }),
    }));
    if (cluster) {
      await cluster.node.run({
        apply: async (event) => {
          if (event.kind === "head") await definitions.pull(event.appId);
          else await registry.refresh(event.appId, event.deleteState);
        },
        resync: () => registry.resync(),
        stats: () => ({
          apps: registry.listActiveApplications().length,
          runs: workflows.loaded?.engine.activeRuns ?? 0,
        }),
      }, opts.publicUrl ?? "");
    }
    // Runs a crashed or stopped process left in flight go on from their checkpoints; in a
    // cluster, the sweeper also takes over runs whose node died.
    const resume = async () => {
      if (!(await mayHaveRuns(store, cluster !== undefined))) return;
      await parsers.get();
      const { engine } = await workflows.get();
      await engine.resume();
      if (!cluster) return;
      const sweeper = cluster.runs.sweep((appId, runId) => engine.adopt(appId, runId));
      cleanups.unshift(() => sweeper.stop());
    };
    const load = async () => {
      await Promise.all([parsers.get(), llm.get(), jit.get(), workflows.get()]);
    };
    if (opts.warmSandboxes && !deferred) warm();
    let starting: Promise<void> | null = null;
    // Set by start(): begins the deferred start-up (once).
    let begin: (() => void) | null = null;
    if (deferred) {
      starting = go.promise.then(async () => {
        // Node's heavier built-ins load after listening (ADR 0032); everything below may use them.
        await loadNodeBuiltins();
        await admin.persist?.();
        if (restoreLater) {
          await restore().catch((err) =>
            logger.error("restoring the registered apps failed", { error: String(err) })
          ).finally(restored.resolve);
          prepareChanged();
        }
        containers.begin();
        await firstStart().catch((err) =>
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
      await load();
      await resume();
    }
    const loaded = <T>(part: { loaded: T | undefined }, name: string): T => {
      if (part.loaded === undefined) {
        throw new Error(`${name} loads on first use and is not loaded yet (await kiln.load())`);
      }
      return part.loaded;
    };
    return {
      // While deferred start-up runs or the engines load, requests wait for them; the liveness
      // probe does not.
      handler: (req) => {
        if (starting === null && parsers.loaded) return fetch(req);
        if (new URL(req.url).pathname !== "/healthz") {
          begin?.();
          return (starting ?? Promise.resolve()).then(() => parsers.get()).then(() => fetch(req));
        }
        // A timer turn later, so the first response is on the wire before the start-up's work.
        return begin ? fetch(req).finally(() => setTimeout(() => begin?.(), 0)) : fetch(req);
      },
      registry,
      state,
      store,
      tools,
      get llm() {
        return loaded(llm, "the LLM gateway").gateway;
      },
      get llmRunner() {
        return loaded(llm, "the LLM gateway").runner;
      },
      get templates() {
        return loaded(llm, "the LLM gateway").templates;
      },
      executionTokens,
      mcp,
      router,
      sandbox,
      bundler,
      get workflows() {
        return loaded(workflows, "the workflow engine").engine;
      },
      cluster: cluster?.node,
      generatedAdminToken: admin.generated,
      containerTier: containers.started,
      start: (startOpts = {}) => {
        if (!begin) {
          const wait = startOpts.afterFirstResponseMs ?? 0;
          const timer = wait > 0 ? setTimeout(() => begin?.(), wait) : undefined;
          if (timer !== undefined) Deno.unrefTimer(timer);
          begin = () => {
            clearTimeout(timer);
            go.resolve();
          };
          if (wait <= 0) begin();
        }
        return starting ?? Promise.resolve();
      },
      load,
      metrics,
      get jitService() {
        return loaded(jit, "the JIT loop").service;
      },
      get oracle() {
        return loaded(jit, "the JIT loop").oracle;
      },
      close: async () => {
        for (const cleanup of cleanups) await cleanup();
      },
    };
  } catch (err) {
    for (const cleanup of cleanups) await cleanup();
    throw err;
  }
}
