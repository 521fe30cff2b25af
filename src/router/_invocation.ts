/**
 * One invocation as the router hands it to its handler kind, and the executions the kind binds
 * from it. Classes with their methods on the prototype rather than object literals of closures:
 * an invocation and its execution live as long as the request, most of it waiting for a sandbox,
 * and what lives that long is what the young generation's collections copy.
 */
import type { ExecutionTokens } from "../auth/mod.ts";
import type { Clock, Logger, Span } from "../core/mod.ts";
import type { DeltaListener, ToolCatalog } from "../mcp/mod.ts";
import type { ComponentDefinition, ExecutionContext, RequestData } from "../models/mod.ts";
import type { AppSnapshot } from "../registry/mod.ts";
import type { ExecutionHost, ExecutionLimits } from "../sandbox/mod.ts";
import type { TierDecision } from "./choose_tier.ts";
import { executionContext } from "./execution_context.ts";
import { executionHost, type ExecutionMeta } from "./execution_host.ts";
import type { BoundExecution, Invocation } from "./handler_kind.ts";
import { budgeted } from "./_streaming.ts";

/** What the router knows of one invocation while it runs, for its answer, log line and metrics. */
export interface Trace {
  requestId: string;
  appId: string;
  source: "http" | "internal";
  component?: ComponentDefinition;
  decision?: TierDecision;
  /** The guest's failed tool calls (the last few), to tell its own faults from its answers. */
  toolFailures?: { tool: string; code: string; message: string }[];
}

/** What invocations bind executions with: the router's parts. */
export interface InvocationDeps {
  tools: ToolCatalog;
  executionTokens: Pick<ExecutionTokens, "mint" | "verify" | "revoke">;
  logger: Logger;
  clock: Clock;
}

const MAX_TOOL_FAILURES = 16;

/**
 * Tiers whose guests reach Kiln only through this process's host (no network, no socket to
 * `/mcp`): their executions get local tokens.
 */
const IN_PROCESS_TIERS: ReadonlySet<string> = new Set(["isolate", "wasm"]);

export class RoutedInvocation implements Invocation {
  readonly appId: string;
  readonly requestId: string;

  constructor(
    readonly deps: InvocationDeps,
    readonly trace: Trace,
    readonly snapshot: AppSnapshot,
    readonly requestData: RequestData,
    readonly userInfo: Record<string, unknown> | undefined,
    readonly mcpEndpoint: string,
    readonly signal: AbortSignal | undefined,
    readonly onDelta: DeltaListener | undefined,
    /** The routing span (undefined with OTel off): it records the tier decision. */
    readonly span: Span | undefined,
  ) {
    this.appId = trace.appId;
    this.requestId = trace.requestId;
  }

  bind(component: ComponentDefinition): BoundExecution {
    const { trace } = this;
    const bound = executionContext({
      appId: this.appId,
      snapshot: this.snapshot,
      component,
      tokens: this.deps.executionTokens,
      now: this.deps.clock.now(),
      mcpEndpoint: this.mcpEndpoint,
      userInfo: this.userInfo,
      localToken: trace.decision !== undefined && IN_PROCESS_TIERS.has(trace.decision.tier),
    });
    // Only llm components stream; their streamed text spends their output budget.
    const stream = this.onDelta && component.handlerType === "llm"
      ? budgeted(this.onDelta, bound.limits.maxOutputBytes, component.componentId)
      : undefined;
    return new Execution(this, component.componentId, bound, stream);
  }

  decide(decision: TierDecision | undefined): void {
    this.trace.decision = decision;
    if (decision) {
      this.span?.setAttributes({ "kiln.tier": decision.tier, "kiln.tier.reason": decision.reason });
    }
  }
}

/** One bound execution: its context, limits and token, and the host its guest reaches Kiln by. */
class Execution implements BoundExecution, ExecutionMeta {
  readonly context: ExecutionContext;
  readonly limits: ExecutionLimits;
  readonly token: string;
  readonly host: ExecutionHost;
  readonly requestId: string;
  readonly appId: string;
  readonly signal: AbortSignal | undefined;

  constructor(
    readonly invocation: RoutedInvocation,
    readonly componentId: string,
    bound: { context: ExecutionContext; limits: ExecutionLimits; token: string },
    readonly onDelta: DeltaListener | undefined,
  ) {
    this.context = bound.context;
    this.limits = bound.limits;
    this.token = bound.token;
    this.requestId = invocation.requestId;
    this.appId = invocation.appId;
    this.signal = invocation.signal;
    this.host = executionHost(invocation.deps, this);
  }

  onToolError(tool: string, e: { code: string; message: string }): void {
    const failures = this.invocation.trace.toolFailures ??= [];
    if (failures.length >= MAX_TOOL_FAILURES) failures.shift();
    failures.push({ tool, code: e.code, message: e.message });
  }

  /** The token dies with the execution rather than at its expiry. */
  [Symbol.dispose](): void {
    this.invocation.deps.executionTokens.revoke(this.token);
  }
}
