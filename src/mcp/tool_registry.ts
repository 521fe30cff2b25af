import type { z } from "zod";
import {
  type Clock,
  failSpanWith,
  inSpan,
  isTracing,
  KilnError,
  type Lazy,
  limitExceeded,
  LIMITS,
  type Logger,
  quote,
  systemClock,
  toKilnError,
  valueDepth,
} from "../core/mod.ts";
import { type MetricSink, noMetrics } from "../metrics/mod.ts";
import type { Registry } from "../registry/mod.ts";
import { authorize, type Decision, type ToolGrant } from "./_authorize.ts";
import { toolJsonSchema } from "./_json_schema.ts";
import { errorResult, okResult, toolError } from "./_results.ts";
import { type ToolOutcome, type ToolStat, ToolStats } from "./_tool_stats.ts";
import { AppToolSet } from "./_app_tool_set.ts";
import { type AppInvoker, parseAppToolName } from "./app_tools.ts";
import type {
  ToolCaller,
  ToolCallOptions,
  ToolCallResult,
  ToolCatalog,
  ToolContext,
  ToolDefinition,
  ToolListing,
} from "./tool.ts";

/** What the registry itself uses; the tools it serves are handed in beside these. */
export interface ToolRegistryDeps {
  /** Whose serving apps become `app.<appId>.<componentId>` tools. */
  registry: Registry;
  logger: Logger;
  clock?: Clock;
  /** Where calls are counted (`kiln.mcp.calls`, `kiln.mcp.call.duration_ms`). */
  metrics?: MetricSink;
  /**
   * What runs app tools (the request router). A `Lazy` because the router calls tools through
   * this registry and so is built after it; the composition root sets it once.
   */
  invoker: Lazy<AppInvoker>;
}

interface Resolved {
  tool: ToolDefinition;
  grant: ToolGrant;
}

/**
 * Kiln's one MCP tool registry (contract §6): the tools it is given (Kiln's core tools) plus every
 * serving app's components as `app.<appId>.<componentId>`. Every caller — the `/mcp` endpoint,
 * in-process tiers, the oracle — goes through `call`, which authorizes, validates, runs, checks
 * the output, logs and counts, so no path can skip a step.
 */
export class ToolRegistry implements ToolCatalog {
  readonly #tools = new Map<string, ToolDefinition>();
  readonly #aliases = new Map<string, string>();
  /** The tools given as a function: built on first use (`kiln serve` loads them after listening). */
  #pending: (() => readonly ToolDefinition[]) | null = null;
  readonly #listings = new Map<string, ToolListing>();
  readonly #apps: AppToolSet;
  readonly #registry: Registry;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stats = new ToolStats();
  readonly #metrics: MetricSink;
  readonly #invoker: Lazy<AppInvoker>;

  /**
   * Serves `tools` (names and aliases must be unique and outside `app.*`) and the app tools. Given
   * as a function, the tools are built at the first call, listing or lookup.
   */
  constructor(
    deps: ToolRegistryDeps,
    tools: readonly ToolDefinition[] | (() => readonly ToolDefinition[]),
  ) {
    this.#registry = deps.registry;
    this.#invoker = deps.invoker;
    this.#log = deps.logger;
    this.#clock = deps.clock ?? systemClock;
    this.#metrics = deps.metrics ?? noMetrics;
    if (typeof tools === "function") this.#pending = tools;
    else this.#add(tools);
    this.#apps = new AppToolSet(
      deps.registry,
      deps.logger,
      (...args) => this.#invoker.get()(...args),
      (name) => {
        const tool = this.#core().get(this.#aliases.get(name) ?? name);
        return tool?.annotations.readOnlyHint === true;
      },
    );
  }

  #add(tools: readonly ToolDefinition[]): void {
    for (const tool of tools) {
      for (const name of [tool.name, ...(tool.aliases ?? [])]) {
        if (this.#tools.has(name) || this.#aliases.has(name) || parseAppToolName(name)) {
          throw new Error(`tool name ${quote(name)} is taken`);
        }
      }
      this.#tools.set(tool.name, tool);
      for (const alias of tool.aliases ?? []) this.#aliases.set(alias, tool.name);
    }
  }

  /** The core tools by name, built now if they were given as a function. */
  #core(): Map<string, ToolDefinition> {
    const pending = this.#pending;
    if (pending) {
      this.#pending = null;
      this.#add(pending());
    }
    return this.#tools;
  }

  list(caller: ToolCaller): ToolListing[] {
    const now = this.#clock.now();
    const mayList = (grant: ToolGrant) =>
      caller.kind === "admin" || authorize(caller, grant, now).ok;
    const out: ToolListing[] = [];
    for (const tool of this.#core().values()) {
      if (!mayList(tool)) continue;
      const listing = this.#listing(tool);
      out.push(listing);
      for (const alias of tool.aliases ?? []) {
        out.push({
          ...listing,
          name: alias,
          description: `Alias of ${tool.name}. ${listing.description}`,
        });
      }
    }
    for (const app of this.#apps.all()) {
      if (mayList({ ...app.tool, appId: app.appId })) out.push(app.listing);
    }
    return out;
  }

  /**
   * Runs tool `name` for `caller`. Under OTel it is one span named by the MCP semantic
   * conventions (`tools/call <tool>`), a child of the `/mcp` request or, for a guest's `mcp.call`,
   * of its sandbox execution.
   */
  call(
    name: string,
    args: unknown,
    caller: ToolCaller,
    opts: ToolCallOptions = {},
  ): Promise<ToolCallResult> {
    if (!isTracing) return this.#call(name, args, caller, opts);
    return inSpan(`tools/call ${name}`, {
      "mcp.method.name": "tools/call",
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": name,
      "kiln.caller.kind": caller.kind,
      ...(caller.appId ? { "kiln.app_id": caller.appId } : {}),
    }, async (span) => {
      const result = await this.#call(name, args, caller, opts);
      if (result.isError && span) failSpanWith(span, toolError(result)?.code ?? "tool_error");
      return result;
    });
  }

  async #call(
    name: string,
    args: unknown,
    caller: ToolCaller,
    opts: ToolCallOptions,
  ): Promise<ToolCallResult> {
    const started = performance.now();
    const { tool, grant } = this.#resolve(name, caller, opts.requestId);
    let appId: string | undefined = grant.appId ?? caller.appId;
    const finish = (outcome: ToolOutcome, result: ToolCallResult, code?: string) => {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      this.#stats.record(tool.name, appId, outcome, durationMs);
      this.#metrics.add("kiln.mcp.calls", 1, { appId, tool: tool.name, outcome });
      this.#metrics.observe("kiln.mcp.call.duration_ms", durationMs, { appId, tool: tool.name });
      this.#log.info("mcp tool call", {
        tool: tool.name,
        appId,
        callerKind: caller.kind,
        outcome,
        ...(code ? { code } : {}),
        durationMs,
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      });
      return result;
    };
    const forbidden = (d: Decision & { ok: false }) =>
      finish("forbidden", errorResult(new KilnError("FORBIDDEN", d.message)), "FORBIDDEN");

    let decision = authorize(caller, grant, this.#clock.now());
    if (!decision.ok) return forbidden(decision);
    // zod and the handlers recurse over arguments: their nesting is measured first, in one pass.
    const maxDepth = LIMITS["json.depth"];
    if (valueDepth(args, maxDepth) > maxDepth) {
      const deep = limitExceeded(
        "json.depth",
        `the arguments of ${quote(name)} nest deeper than ${maxDepth} levels`,
        { max: maxDepth },
      );
      return finish("invalid", errorResult(deep), "LIMIT_EXCEEDED");
    }
    const parsed = tool.inputSchema.safeParse(args ?? {});
    if (!parsed.success) {
      return finish("invalid", errorResult(invalidArgs(name, parsed.error)), "VALIDATION_ERROR");
    }
    const requested = (parsed.data as { appId?: unknown }).appId;
    if (tool.scope === "registry-read" && typeof requested === "string") {
      decision = authorize(caller, grant, this.#clock.now(), requested);
      if (!decision.ok) return forbidden(decision);
    }
    appId = decision.appId;

    const ctx: ToolContext = {
      caller,
      ...(appId ? { appId } : {}),
      log: this.#log.with({
        tool: tool.name,
        ...(appId ? { appId } : {}),
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      }),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onDelta ? { onDelta: opts.onDelta } : {}),
    };
    try {
      if (tool.scope === "app" && appId) this.#registry.getApplicationStatus(appId);
      const output = tool.outputSchema.safeParse(await tool.handler(parsed.data, ctx));
      if (!output.success) {
        this.#log.error("tool answered outside its output schema", {
          tool: tool.name,
          issues: output.error.issues,
        });
        throw new KilnError("INTERNAL", `tool ${quote(tool.name)} produced an invalid answer`);
      }
      return finish("ok", okResult(output.data as Record<string, unknown>));
    } catch (err) {
      const error = toKilnError(err);
      if (!(err instanceof KilnError)) {
        this.#log.error("tool failed", {
          tool: tool.name,
          error: String(err),
          stack: (err as Error)?.stack,
        });
      }
      return finish("error", errorResult(error), error.code);
    }
  }

  onListChanged(listener: () => void): () => void {
    return this.#apps.onChanged(listener);
  }

  /** Call counters per (tool, appId, outcome), for the metric collector. */
  stats(): ToolStat[] {
    return this.#stats.snapshot();
  }

  /** Stops following the app registry. */
  close(): void {
    this.#apps.close();
  }

  #resolve(name: string, caller: ToolCaller, requestId?: string): Resolved {
    const tool = this.#core().get(this.#aliases.get(name) ?? name);
    if (tool) return { tool, grant: tool };
    const app = parseAppToolName(name) && this.#apps.find(name);
    if (app) return { tool: app.tool, grant: { ...app.tool, appId: app.appId } };
    this.#log.info("mcp tool call", {
      tool: name.slice(0, 200),
      callerKind: caller.kind,
      outcome: "error",
      code: "NOT_FOUND",
      ...(requestId ? { requestId } : {}),
    });
    throw new KilnError("NOT_FOUND", `no tool ${quote(name)}`);
  }

  #listing(tool: ToolDefinition): ToolListing {
    let listing = this.#listings.get(tool.name);
    if (!listing) {
      listing = {
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: toolJsonSchema(tool.inputSchema, "input"),
        outputSchema: toolJsonSchema(tool.outputSchema, "output"),
        annotations: tool.annotations,
      };
      this.#listings.set(tool.name, listing);
    }
    return listing;
  }
}

function invalidArgs(name: string, error: z.ZodError): KilnError {
  const issues = error.issues.map((i) => ({ field: i.path.join("."), message: i.message }));
  const first = issues[0];
  return new KilnError(
    "VALIDATION_ERROR",
    `invalid arguments for ${quote(name)}: ${
      first.field ? `${first.field}: ` : ""
    }${first.message}`,
    { issues },
  );
}
