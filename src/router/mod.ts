/** The request router (contract §5): ingress and app tools to the tier that fits each component. */
export { Router } from "./router.ts";
export type { HandlerKind, Invocation } from "./handler_kind.ts";
export { chooseTier } from "./choose_tier.ts";
export { limitsOf } from "./execution_context.ts";
export type { TierLookup } from "./choose_tier.ts";
