import type {
  ComponentDefinition,
  ExecuteResponse,
  ExecutionContext,
  RequestData,
} from "../models/mod.ts";
import type { AppSnapshot } from "../registry/mod.ts";
import type { ExecutionHost, ExecutionLimits } from "../sandbox/mod.ts";
import type { TierDecision } from "./choose_tier.ts";

/**
 * One execution of a component, bound: its context, limits, token and host. Disposing it
 * (`using`) revokes the token, so the token dies with the execution rather than at its expiry.
 */
export interface BoundExecution extends Disposable {
  readonly context: ExecutionContext;
  readonly limits: ExecutionLimits;
  readonly token: string;
  readonly host: ExecutionHost;
}

/** One invocation as a handler kind sees it: the router found, authorized and described it. */
export interface Invocation {
  readonly appId: string;
  readonly requestId: string;
  /** The app revision being served. */
  readonly snapshot: AppSnapshot;
  readonly requestData: RequestData;
  readonly userInfo?: Record<string, unknown>;
  /** Aborts the invocation (the caller went away). */
  readonly signal?: AbortSignal;
  /** Binds an execution of `component` (a kind may widen its permissions first). */
  bind(component: ComponentDefinition): BoundExecution;
  /** Says where the invocation runs and why (X-Kiln-Tier headers, metrics); undefined clears. */
  decide(decision: TierDecision | undefined): void;
}

/**
 * Runs one `handlerType` of component (hand-written code, an LLM prompt, a workflow, …). The
 * composition root plugs kinds into the router, which knows none of them by name.
 */
export interface HandlerKind {
  /** Answers the `/execute` contract; throws KilnError for failures of the execution itself. */
  run(component: ComponentDefinition, invocation: Invocation): Promise<ExecuteResponse>;
}

/** The kinds a router runs, by `handlerType`; a missing one answers UNAVAILABLE. */
export type HandlerKinds = Partial<Record<ComponentDefinition["handlerType"], HandlerKind>>;
