import type { ExecutionTokens } from "../auth/mod.ts";
import {
  activeSpan,
  type Clock,
  ERROR_STATUS,
  inSpan,
  isTracing,
  KilnError,
  type Logger,
  quote,
  systemClock,
  toKilnError,
} from "../core/mod.ts";
import type { DeltaListener, ToolCaller, ToolCatalog } from "../mcp/mod.ts";
import type { MetricSink } from "../metrics/mod.ts";
import type { ExecuteResponse, RequestData } from "../models/mod.ts";
import type { AppSnapshot, Registry } from "../registry/mod.ts";
import type { HandlerKinds } from "./handler_kind.ts";
import { DEFAULT_MAX_BODY_BYTES, httpRequestData } from "./request_data.ts";
import { errorToHttp, isKilnCode, resultToHttp, resultToToolOutput } from "./response_mapping.ts";
import { componentById, matchRoute, servingSnapshot } from "./_lookup.ts";
import { authorizeRoute } from "./_route_auth.ts";
import { type InvocationDeps, RoutedInvocation, type Trace } from "./_invocation.ts";
import { SseAnswer, wantsStream } from "./_streaming.ts";
import { checkInput, outputFault } from "./_contract.ts";
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
  /**
   * What runs each `handlerType` (hand-written code, llm, workflow); a component whose kind is
   * absent answers UNAVAILABLE.
   */
  handlers: HandlerKinds;
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
  /** Where each invocation is counted and timed; absent, only `stats()` counts. */
  metrics?: MetricSink;
}

const INGRESS = /^\/apps\/([^/]+)(\/.*)?$/;
const INTERNAL_MCP_ENDPOINT = "http://127.0.0.1/mcp";
/**
 * The request router of contract §5: ingress under `/apps/{appId}/...` and `app.<appId>.<id>` MCP
 * tools both come here; it finds the component, checks its route's auth, builds `requestData`,
 * hands the invocation to the component's handler kind (which binds its context and execution
 * token and picks the tier, never lowering isolation) and maps the result. Every invocation
 * leaves one log line, a counter and, over HTTP, `X-Kiln-Tier`/`X-Kiln-Tier-Reason` headers
 * saying where it ran and why.
 */
export class Router {
  readonly #o: RouterOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stats = new InvocationStats();
  readonly #deps: InvocationDeps;

  constructor(opts: RouterOptions) {
    this.#o = opts;
    this.#log = opts.logger.with({ component: "router" });
    this.#clock = opts.clock ?? systemClock;
    const { tools, executionTokens, logger } = opts;
    this.#deps = { tools, executionTokens, logger, clock: this.#clock };
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
    // Deno.serve's SERVER span for this request, when OTel is on.
    const ingress = activeSpan();
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
      if (ingress) {
        const route = `/apps/${trace.appId}${hit.routePattern}`;
        ingress.updateName(`${req.method} ${route}`);
        ingress.setAttributes({
          "http.route": route,
          "kiln.app_id": trace.appId,
          "kiln.component_id": hit.component.componentId,
        });
      }
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
      if (wantsStream(req, hit.component)) {
        return await this.#stream(
          trace,
          started,
          (opts) =>
            this.#execute(trace, snapshot, requestData, userInfo, endpoint, {
              signal: AbortSignal.any([req.signal, opts.signal]),
              onDelta: opts.onDelta,
            }),
        );
      }
      const result = await this.#execute(trace, snapshot, requestData, userInfo, endpoint, req);
      outcome = resultOutcome(result);
      const headers = kilnHeaders(trace);
      // A replayed LLM answer is a recording, and says so: never presented as live output.
      if (result.metrics.mcp_calls.some((c) => c.provenance === "recording")) {
        headers["x-kiln-llm-provenance"] = "recording";
      }
      response = resultToHttp(result, hit.component, headers);
    } catch (err) {
      const error = this.#failure(trace, err);
      outcome = errorOutcome(error);
      const allowed = (error.details as { allowed?: string[] } | undefined)?.allowed;
      const headers = kilnHeaders(trace);
      if (error.code === "METHOD_NOT_ALLOWED" && allowed) headers.allow = allowed.join(", ");
      response = errorToHttp(error, headers);
    }
    if (head) response = new Response(null, response);
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
    opts: { signal?: AbortSignal; requestId?: string; onDelta?: DeltaListener } = {},
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

  /**
   * Answers an ingress request as server-sent events: the head goes out at the first event (so it
   * can say whether the text is a recording), the deltas as they come, then the result or error.
   */
  async #stream(
    trace: Trace,
    started: number,
    run: (opts: { signal: AbortSignal; onDelta: DeltaListener }) => Promise<ExecuteResponse>,
  ): Promise<Response> {
    const sse = new SseAnswer();
    const component = trace.component!;
    const done = run({ signal: sse.closed, onDelta: (d) => sse.delta(d) }).then(
      async (result) => {
        if (result.metrics.mcp_calls.some((c) => c.provenance === "recording")) {
          sse.recording = true;
        }
        const res = resultToHttp(result, component);
        sse.end(res.ok ? "result" : "error", await sseData(res));
        return { outcome: resultOutcome(result), status: res.status };
      },
      async (err) => {
        const error = this.#failure(trace, err);
        sse.end("error", await sseData(errorToHttp(error)));
        return { outcome: errorOutcome(error), status: error.status };
      },
    );
    done.then(({ outcome, status }) => this.#finish(trace, outcome, status, started));
    await sse.started;
    const headers = new Headers({
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": trace.requestId,
    });
    if (sse.recording) headers.set("x-kiln-llm-provenance", "recording");
    if (trace.decision) {
      headers.set("x-kiln-tier", trace.decision.tier);
      headers.set("x-kiln-tier-reason", headerSafe(trace.decision.reason));
    }
    return new Response(sse.body, { status: 200, headers });
  }

  /** Invocation counters per (app, component, tier, outcome), with latency sums. */
  stats(): InvocationStat[] {
    return this.#stats.snapshot();
  }

  /** One span per routing decision under OTel: the component, then the tier and why. */
  #execute(
    trace: Trace,
    snapshot: AppSnapshot,
    requestData: RequestData,
    userInfo: Record<string, unknown> | undefined,
    mcpEndpoint: string,
    opts: { signal?: AbortSignal; onDelta?: DeltaListener },
  ): Promise<ExecuteResponse> {
    const run = () => this.#run(trace, snapshot, requestData, userInfo, mcpEndpoint, opts);
    if (!isTracing) return run();
    const component = trace.component!;
    return inSpan(`kiln.route ${trace.appId}.${component.componentId}`, {
      "kiln.app_id": trace.appId,
      "kiln.component_id": component.componentId,
      "kiln.handler_type": component.handlerType,
      "kiln.source": trace.source,
    }, async (span) => {
      const result = await run();
      span?.setAttribute("kiln.result_type", result.resultType);
      return result;
    });
  }

  async #run(
    trace: Trace,
    snapshot: AppSnapshot,
    requestData: RequestData,
    userInfo: Record<string, unknown> | undefined,
    mcpEndpoint: string,
    { signal, onDelta }: { signal?: AbortSignal; onDelta?: DeltaListener },
  ): Promise<ExecuteResponse> {
    const component = trace.component!;
    const { appId, requestId } = trace;
    // The routing span `#execute` opened (undefined with OTel off) records the tier decision.
    const decisionSpan = activeSpan();
    const kind = this.#o.handlers[component.handlerType];
    if (!kind) {
      throw new KilnError(
        "UNAVAILABLE",
        `component ${quote(component.componentId)} is a ${component.handlerType} component, ` +
          `and this node runs no ${component.handlerType} handler`,
        { componentId: component.componentId, handlerType: component.handlerType },
      );
    }
    const invocation = new RoutedInvocation(
      this.#deps,
      trace,
      snapshot,
      requestData,
      userInfo,
      mcpEndpoint,
      signal,
      onDelta,
      decisionSpan,
    );
    const contract = snapshot.contracts.get(component.componentId);
    checkInput(component, contract, requestData);
    const result = await kind.run(component, invocation);
    const fault = outputFault(component, contract, result) ?? toolFault(trace, result);
    if (fault) {
      this.#log.error("component fault", {
        requestId,
        appId,
        componentId: component.componentId,
        handlerType: component.handlerType,
        tier: trace.decision?.tier ?? null,
        error: fault.message,
        details: fault.details,
      });
      throw fault;
    }
    return result;
  }

  #failure(trace: Trace, err: unknown): KilnError {
    const error = toKilnError(err);
    if (error !== err) {
      this.#log.error("invocation failed unexpectedly", {
        requestId: trace.requestId,
        appId: trace.appId,
        componentId: trace.component?.componentId,
        error: String(err),
        stack: (err as Error)?.stack,
      });
    }
    return error;
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
    if (!this.#log.enabled("info")) return;
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

/**
 * A guest that lets a failed tool call's error escape (wrong arguments to `mcp.call`, a tool it
 * may not call) answers with that tool's code — FORBIDDEN, VALIDATION_ERROR — which would blame
 * the caller. It is the component's fault: COMPONENT_FAULT with `details.reason: "toolCall"`.
 */
function toolFault(trace: Trace, result: ExecuteResponse): KilnError | null {
  if (result.resultType !== "error" || !trace.toolFailures) return null;
  // Only app code (jit) lets errors escape by mistake; Kiln's own runners pass a tool's error
  // on deliberately. Only a 4xx blames the caller; 429 (retry later) keeps its meaning.
  if (trace.component?.handlerType !== "jit") return null;
  const code = (result.data as { code?: unknown } | null)?.code;
  const status = typeof code === "string" && isKilnCode(code) ? ERROR_STATUS[code] : 500;
  if (status < 400 || status > 499 || status === 429) return null;
  const data = result.data as { code?: unknown; message?: unknown } | null;
  // Runners may prefix the message with the error's class (Python: `McpError: …`).
  const failed = trace.toolFailures.find((f) =>
    f.code === data?.code && typeof data?.message === "string" &&
    (data.message === f.message || data.message.endsWith(`: ${f.message}`))
  );
  if (!failed) return null;
  const componentId = trace.component!.componentId;
  return new KilnError(
    "COMPONENT_FAULT",
    `component ${quote(componentId)} failed: its call to ${
      quote(failed.tool)
    } was refused (${failed.code})`,
    {
      reason: "toolCall",
      componentId,
      tool: failed.tool,
      error: { code: failed.code, message: failed.message },
    },
  );
}

/** A response body as one `data:` line: JSON re-serialized (no line breaks), text quoted. */
async function sseData(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return JSON.stringify(text);
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

/** What every ingress answer says about itself: its request id, and where it ran and why. */
function kilnHeaders(trace: Trace): Record<string, string> {
  const headers: Record<string, string> = { "x-request-id": trace.requestId };
  if (trace.decision) {
    headers["x-kiln-tier"] = trace.decision.tier;
    headers["x-kiln-tier-reason"] = headerSafe(trace.decision.reason);
  }
  return headers;
}

/** Tier reasons come from a small set of sentences: each is made header-safe once. */
const SAFE_REASONS = new Map<string, string>();
const MAX_SAFE_REASONS = 256;

/** Header values are Latin-1 without controls; tier reasons may quote anything. */
function headerSafe(text: string): string {
  let safe = SAFE_REASONS.get(text);
  if (safe !== undefined) return safe;
  safe = text.replace(/[^\x20-\x7e]/g, "?").slice(0, 512);
  if (text.length > 512) return safe;
  if (SAFE_REASONS.size >= MAX_SAFE_REASONS) SAFE_REASONS.clear();
  SAFE_REASONS.set(text, safe);
  return safe;
}
