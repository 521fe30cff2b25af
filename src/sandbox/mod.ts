/**
 * Sandbox tiers (contract §5): the driver contract and the manager that runs executions on them.
 */
export { SandboxManager } from "./manager.ts";
export { IsolateTier } from "./isolate/mod.ts";
// The deferred container tier stands in for the tier before its code (dockerode, pools) loads.
export { BackgroundContainerTier } from "./container/background_tier.ts";
export { handlerWorldProblems, JcoComponentRunner, KILN_WORLDS, WasmTier } from "./wasm/mod.ts";
export { DEFAULT_LIMITS, TIER_STRENGTH } from "./tier.ts";
export { noCpuGroups, openCpuGroups } from "./cpu_groups.ts";
export type { CpuGroups, CpuGroupsState } from "./cpu_groups.ts";
export type { SandboxOverview } from "./tier.ts";
export type {
  ExecutionCode,
  ExecutionHost,
  ExecutionJob,
  ExecutionLimits,
  GuestLogLevel,
  TierDriver,
  TierName,
  TierStats,
} from "./tier.ts";
