import type { ExecutionTokens } from "../auth/mod.ts";
import { type Clock, KilnError, type Logger, quote, systemClock } from "../core/mod.ts";
import { generatedTask, type JitRunner, type JitTask, llmDefinition } from "../jit/mod.ts";
import { LLM_TASK_TOOLS, type LlmRunner, llmTaskCode } from "../llm/mod.ts";
import type { ToolCaller, ToolCatalog } from "../mcp/mod.ts";
import type { MetricSink } from "../metrics/mod.ts";
import type { ComponentDefinition, ExecuteResponse, RequestData } from "../models/mod.ts";
import type { AppSnapshot, Registry } from "../registry/mod.ts";
import type { ExecutionJob, TierName } from "../sandbox/mod.ts";
import type { WorkflowComponentRunner } from "../workflow/mod.ts";
import { chooseTier, type TierDecision, type TierLookup } from "./choose_tier.ts";
import { executionContext } from "./execution_context.ts";
import { executionHost } from "./execution_host.ts";
import { DEFAULT_MAX_BODY_BYTES, httpRequestData } from "./request_data.ts";
import { errorToHttp, resultToHttp, resultToToolOutput } from "./response_mapping.ts";
import { componentById, matchRoute, servingSnapshot } from "./_lookup.ts";
import { authorizeRoute } from "./_route_auth.ts";
import {
  errorOutcome,
  type InvocationOutcome,
  type InvocationStat,
  InvocationStats,
  resultOutcome,
} from "./_stats.ts";

/** What the router is built from; the composition root passes every part in. */
export interface RouterOptions {
  registry: Registry;
  /** The sandbox manager (or anything that looks up tiers and runs jobs on them). */
  sandbox: TierLookup & {
    execute(tier: TierName, job: ExecutionJob): Promise<ExecuteResponse>;
  };
  jit: JitRunner;
  /** The tool registry in-process executions call MCP tools through. */
  tools: ToolCatalog;
  executionTokens: Pick<ExecutionTokens, "mint" | "verify" | "revoke">;
  logger: Logger;
  clock?: Clock;
  /**
   * `/mcp` as sandboxes reach it (`context.mcp_endpoint`). Default: the ingress request's origin
   * plus `/mcp`; internal invocations then say `http://127.0.0.1/mcp` (in-process tiers never
   * dial it; the container tier needs this set).
   */
  mcpEndpoint?: string;
  /** Largest ingress body in bytes (default 1 MiB); larger ones answer 413. */
  maxBodyBytes?: number;
  /** Runs `handlerType: llm` components (issue #6); absent, they answer UNAVAILABLE. */
  llm?: Pick<LlmRunner, "run">;
  /** Runs `handlerType: workflow` components (issue #7); absent means not available. */
  workflows?: WorkflowComponentRunner;
  /** Where each invocation is counted and timed (issue #8); absent, only `stats()` counts. */
  metrics?: MetricSink;
  /** The JIT loop (issue #8): samples llm answers, checks and shadows generated code. */
  optimizer?: RouterJitHooks;
}

/**
 * Binds an execution of a component: its context, limits, token and host. Disposing the binding
 * (`using`) revokes the token, so it dies with the execution rather than at its expiry.
 */
type Bind = (c: ComponentDefinition) =>
  & ReturnType<typeof executionContext>
  & { host: ReturnType<typeof executionHost> }
  & Disposable;

/** The JIT loop's hooks (issue #8): sampling, fallback, shadow checks. */
export interface RouterJitHooks {
  recordLlm(
    appId: string,
    component: ComponentDefinition,
    requestData: RequestData,
    result: ExecuteResponse,
  ): void;
  checkOutput(
    appId: string,
    revision: string,
    llm: ComponentDefinition,
    data: unknown,
  ): Promise<string | null>;
  servedByCode(
    appId: string,
    component: ComponentDefinition,
    result: ExecuteResponse,
    askLlm: () => Promise<ExecuteResponse>,
  ): void;
  fellBack(appId: string, componentId: string, reason: string): void;
}

interface Trace {
  requestId: string;
  appId: string;
  source: "http" | "internal";
  component?: ComponentDefinition;
  decision?: TierDecision;
}

const INGRESS = /^\/apps\/([^/]+)(\/.*)?$/;
const INTERNAL_MCP_ENDPOINT = "http://127.0.0.1/mcp";
const NOT_YET = { llm: "the LLM runner (issue #6)", workflow: "the workflow engine (issue #7)" };

/**
 * The request router of SPEC §5: ingress under `/apps/{appId}/...` and `app.<appId>.<id>` MCP
 * tools both come here; it finds the component, checks its route's auth, builds `requestData`
 * and `context`, mints the execution token, picks the tier (never lowering isolation), runs the
 * JIT code there and maps the result. Every invocation leaves one log line, a counter and, over
 * HTTP, `X-Kiln-Tier`/`X-Kiln-Tier-Reason` headers saying where it ran and why.
 */
export class Router {
  readonly #o: RouterOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stats = new InvocationStats();

  constructor(opts: RouterOptions) {
    this.#o = opts;
    this.#log = opts.logger.with({ component: "router" });
    this.#clock = opts.clock ?? systemClock;
  }

  /** Answers one ingress request `ANY /apps/{appId}/{path...}`. */
  async handle(req: Request): Promise<Response> {
    const started = performance.now();
    const url = new URL(req.url);
    const m = INGRESS.exec(url.pathname);
    const trace: Trace = {
      requestId: req.headers.get("x-request-id")?.slice(0, 128) || crypto.randomUUID(),
      appId: m?.[1] ?? "",
      source: "http",
    };
    let response: Response;
    let outcome: InvocationOutcome;
    let head = false;
    try {
      if (!m) throw new KilnError("NOT_FOUND", `no app ingress at ${quote(url.pathname)}`);
      const path = m[2] ?? "/";
      const snapshot = servingSnapshot(this.#o.registry, trace.appId);
      const hit = matchRoute(trace.appId, snapshot, req.method, path);
      head = hit.head;
      trace.component = hit.component;
      const userInfo = authorizeRoute(
        trace.appId,
        hit.component,
        req.headers.get("authorization"),
        (key) => this.#o.registry.validateApiKey(key),
      );
      const requestData = await httpRequestData(
        req,
        url,
        { path, routePattern: hit.routePattern, pathParameters: hit.pathParameters },
        this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      );
      const endpoint = this.#o.mcpEndpoint ?? `${url.origin}/mcp`;
      const result = await this.#execute(trace, snapshot, requestData, userInfo, endpoint, req);
      outcome = resultOutcome(result);
      response = resultToHttp(result, hit.component);
      // A replayed LLM answer is a recording, and says so: never presented as live output.
      if (result.metrics.mcp_calls.some((c) => c.provenance === "recording")) {
        response.headers.set("x-kiln-llm-provenance", "recording");
      }
    } catch (err) {
      const error = this.#failure(trace, err);
      outcome = errorOutcome(error);
      const allowed = (error.details as { allowed?: string[] } | undefined)?.allowed;
      response = errorToHttp(
        error,
        error.code === "METHOD_NOT_ALLOWED" && allowed ? { allow: allowed.join(", ") } : {},
      );
    }
    if (head) response = new Response(null, response);
    response.headers.set("x-request-id", trace.requestId);
    if (trace.decision) {
      response.headers.set("x-kiln-tier", trace.decision.tier);
      response.headers.set("x-kiln-tier-reason", headerSafe(trace.decision.reason));
    }
    this.#finish(trace, outcome, response.status, started);
    return response;
  }

  /**
   * Runs component `componentId` of `appId` for an `app.<appId>.<componentId>` tool call, which
   * the tool registry has already authorized; answers the tool's structured content, or throws.
   */
  async invoke(
    appId: string,
    componentId: string,
    input: unknown,
    caller: ToolCaller,
    opts: { signal?: AbortSignal; requestId?: string } = {},
  ): Promise<Record<string, unknown>> {
    const started = performance.now();
    const trace: Trace = {
      requestId: opts.requestId ?? crypto.randomUUID(),
      appId,
      source: "internal",
    };
    let outcome: InvocationOutcome | undefined;
    let status = 200;
    try {
      const snapshot = servingSnapshot(this.#o.registry, appId);
      const component = componentById(appId, snapshot, componentId);
      trace.component = component;
      const requestData: RequestData = {
        source: "internal",
        input,
        internalDetails: { tool: `app.${appId}.${componentId}`, callerKind: caller.kind },
      };
      const endpoint = this.#o.mcpEndpoint ?? INTERNAL_MCP_ENDPOINT;
      const result = await this.#execute(
        trace,
        snapshot,
        requestData,
        callerInfo(caller),
        endpoint,
        opts,
      );
      outcome = resultOutcome(result);
      return resultToToolOutput(result, component);
    } catch (err) {
      const error = this.#failure(trace, err);
      outcome ??= errorOutcome(error);
      status = error.status;
      throw error;
    } finally {
      this.#finish(trace, outcome ?? "failed", status, started);
    }
  }

  /** Invocation counters per (app, component, tier, outcome), with latency sums. */
  stats(): InvocationStat[] {
    return this.#stats.snapshot();
  }

  async #execute(
    trace: Trace,
    snapshot: AppSnapshot,
    requestData: RequestData,
    userInfo: Record<string, unknown> | undefined,
    mcpEndpoint: string,
    { signal }: { signal?: AbortSignal },
  ): Promise<ExecuteResponse> {
    const component = trace.component!;
    const { appId, requestId } = trace;
    const bind: Bind = (c: ComponentDefinition) => {
      const bound = executionContext({
        appId,
        snapshot,
        component: c,
        tokens: this.#o.executionTokens,
        now: this.#clock.now(),
        mcpEndpoint,
        userInfo,
      });
      const meta = { requestId, appId, componentId: c.componentId, token: bound.token, signal };
      const revoke = () => this.#o.executionTokens.revoke(bound.token);
      return { ...bound, host: executionHost(this.#o, meta), [Symbol.dispose]: revoke };
    };
    if (component.handlerType === "llm" && this.#o.llm) {
      const result = await this.#runLlm(trace, component, requestData, bind, signal);
      this.#o.optimizer?.recordLlm(appId, component, requestData, result);
      return result;
    }
    // issue #7: workflow components run on the workflow engine, synchronously.
    if (component.handlerType === "workflow" && this.#o.workflows) {
      return await this.#o.workflows.execute({
        appId,
        requestId,
        component,
        requestData,
        userInfo,
        signal,
      });
    }
    if (component.handlerType !== "jit") {
      throw new KilnError(
        "UNAVAILABLE",
        `component ${quote(component.componentId)} is a ${component.handlerType} component; ` +
          `running it arrives with ${NOT_YET[component.handlerType]}`,
      );
    }
    const generated = generatedTask(component);
    if (generated && this.#o.llm) {
      return await this.#runGenerated(trace, snapshot, component, requestData, bind, signal);
    }
    return await this.#runJit(trace, snapshot, component, requestData, bind, signal);
  }

  /**
   * Generated code (issue #8) answers unless it fails or breaks the output schema — then the
   * LLM definition it replaced answers instead, so a bad generation costs latency, never a
   * wrong or failed response. Successful answers feed the shadow checks.
   */
  async #runGenerated(
    trace: Trace,
    snapshot: AppSnapshot,
    component: ComponentDefinition,
    requestData: RequestData,
    bind: Bind,
    signal: AbortSignal | undefined,
  ): Promise<ExecuteResponse> {
    const { appId } = trace;
    const llm = llmDefinition(component);
    let why: string;
    try {
      const result = await this.#runJit(trace, snapshot, component, requestData, bind, signal);
      const broken = result.resultType === "error"
        ? `${(result.data as { code?: string })?.code ?? "error"}`
        : await this.#o.optimizer?.checkOutput(appId, snapshot.revision, llm, result.data) ?? null;
      if (!broken) {
        this.#o.optimizer?.servedByCode(
          appId,
          component,
          result,
          () => this.#runLlm({ ...trace }, llm, requestData, bind, undefined),
        );
        return result;
      }
      why = broken;
    } catch (err) {
      if (!(err instanceof KilnError)) throw err;
      why = err.code;
    }
    this.#o.optimizer?.fellBack(appId, component.componentId, why);
    trace.decision = undefined;
    return await this.#runLlm(trace, llm, requestData, bind, signal);
  }

  // issue #6: llm components run on the host, or, when their trust or runtime asks for a
  // container, as the bundled LLM runner in the container tier; either way the model call goes
  // through the tool registry as this execution, whose token allows what the runner needs.
  async #runLlm(
    trace: Trace,
    component: ComponentDefinition,
    requestData: RequestData,
    bind: Bind,
    signal: AbortSignal | undefined,
  ): Promise<ExecuteResponse> {
    const { requestId } = trace;
    const permissions = [...new Set([...component.permissions, ...LLM_TASK_TOOLS])];
    const sandboxed = component.runtime === "container" || component.trust === "untrusted";
    if (!sandboxed) {
      using bound = bind({ ...component, permissions });
      return await this.#o.llm!.run(component, requestData, bound.context, bound.host, {
        requestId,
      });
    }
    const found = this.#o.sandbox.driver("container");
    const why = component.runtime === "container" ? "runtime container pinned" : "trust untrusted";
    if ("unavailable" in found) {
      throw new KilnError(
        "TIER_UNAVAILABLE",
        `llm component ${quote(component.componentId)} must run in a container (${why}): ` +
          found.unavailable,
        { componentId: component.componentId, tier: "container" },
      );
    }
    trace.decision = {
      tier: "container",
      reason: `llm: ${why} -> container`,
      accepts: found.driver.accepts,
    };
    using bound = bind({ ...component, permissions });
    const { context, limits, host } = bound;
    return await this.#o.sandbox.execute("container", {
      request: { requestId, requestData, context, taskDetails: component.taskDetails },
      code: llmTaskCode(component),
      limits,
      host,
      ...(signal ? { signal } : {}),
    });
  }

  async #runJit(
    trace: Trace,
    snapshot: AppSnapshot,
    component: ComponentDefinition,
    requestData: RequestData,
    bind: Bind,
    signal: AbortSignal | undefined,
  ): Promise<ExecuteResponse> {
    const { appId, requestId } = trace;
    const decision = chooseTier(component, this.#o.sandbox);
    trace.decision = decision;
    const code = await this.#o.jit.load({
      appId,
      revision: snapshot.revision,
      task: component.taskDetails as unknown as JitTask,
      accepts: decision.accepts,
    });
    using bound = bind(component);
    const { context, limits, host } = bound;
    return await this.#o.sandbox.execute(decision.tier, {
      request: {
        requestId,
        requestData,
        context,
        // The container tier picks its pool from the task (SPEC §5 `targetPoolName`).
        taskDetails: component.targetPoolName
          ? { ...component.taskDetails, targetPoolName: component.targetPoolName }
          : component.taskDetails,
      },
      code,
      limits,
      host,
      ...(signal ? { signal } : {}),
      ...(snapshot.definition.isolateReuse === "app" ? { isolateReuse: "app" as const } : {}),
    });
  }

  #failure(trace: Trace, err: unknown): KilnError {
    if (err instanceof KilnError) return err;
    this.#log.error("invocation failed unexpectedly", {
      requestId: trace.requestId,
      appId: trace.appId,
      componentId: trace.component?.componentId,
      error: String(err),
      stack: (err as Error)?.stack,
    });
    return new KilnError("INTERNAL", "internal error", undefined, { cause: err });
  }

  #finish(trace: Trace, outcome: InvocationOutcome, status: number, started: number): void {
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    const componentId = trace.component?.componentId;
    if (componentId) {
      this.#stats.record(
        trace.appId,
        componentId,
        trace.decision?.tier ?? "none",
        outcome,
        durationMs,
      );
      const labels = {
        appId: trace.appId,
        componentId,
        handlerType: trace.component!.handlerType,
        tier: trace.decision?.tier ?? "none",
        outcome,
      };
      this.#o.metrics?.add("kiln.invocations", 1, labels);
      this.#o.metrics?.observe("kiln.invocation.duration_ms", durationMs, labels);
    }
    this.#log.info("invocation", {
      requestId: trace.requestId,
      appId: trace.appId,
      ...(componentId ? { componentId } : {}),
      source: trace.source,
      tier: trace.decision?.tier ?? null,
      reason: trace.decision?.reason ?? null,
      outcome,
      status,
      durationMs,
    });
  }
}

function callerInfo(caller: ToolCaller): Record<string, unknown> {
  switch (caller.kind) {
    case "admin":
      return { callerKind: "admin" };
    case "app":
      return { callerKind: "app", keyId: caller.keyId };
    case "execution":
      return { callerKind: "execution", componentId: caller.componentId };
  }
}

/** Header values are Latin-1 without controls; tier reasons may quote anything. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 512);
}
