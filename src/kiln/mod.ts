/**
 * The composition root's parts (`src/kiln.ts` assembles them): each subsystem's wiring, and for
 * those first requests do not need, its load on first use (ADR 0025).
 */
export type { Kiln, KilnOptions } from "./options.ts";
export { clusterView, joinCluster, peersOf } from "./cluster.ts";
export { containerTier } from "./containers.ts";
export { registerOnFirstStart } from "./first_start.ts";
export { hookEndpoint } from "./git_hooks.ts";
export { jitKind, jitOnDemand, jitScopes, llmKind } from "./jit.ts";
export { llmOnDemand } from "./llm.ts";
export { defaultTiers, prepareOnChange } from "./sandboxes.ts";
export {
  mayHaveRuns,
  workflowChecker,
  workflowCode,
  workflowKind,
  workflowsOnDemand,
} from "./workflows.ts";
