/** The request router (SPEC §5): ingress and app tools to the tier that fits each component. */
export { Router } from "./router.ts";
export type { RouterOptions } from "./router.ts";
export type { BoundExecution, HandlerKind, HandlerKinds, Invocation } from "./handler_kind.ts";
export { chooseTier, TIER_MEMORY_CEILING_MB, TRUST_FLOOR } from "./choose_tier.ts";
export type { TierDecision, TierLookup } from "./choose_tier.ts";
export { executionHost } from "./execution_host.ts";
export type { ExecutionHostDeps, ExecutionMeta } from "./execution_host.ts";
export { executionContext, limitsOf } from "./execution_context.ts";
export { DEFAULT_MAX_BODY_BYTES, httpRequestData } from "./request_data.ts";
export { errorToHttp, resultToHttp, resultToToolOutput } from "./response_mapping.ts";
export type { InvocationOutcome, InvocationStat } from "./_stats.ts";
