/** The container tier (SPEC §5, issue #5): Docker pools of runner containers behind `/execute`. */
export { DockerodeApi } from "./dockerode_api.ts";
export type { ContainerSpec, ContainerState, ContainerSummary, DockerApi } from "./docker_api.ts";
export {
  buildRunnerImages,
  DENO_RUNNER_IMAGE,
  type Progress,
  PYTHON_RUNNER_IMAGE,
  type RunnerKind,
} from "./images.ts";
export { ContainerTier, type ContainerTierOptions } from "./container_tier.ts";
export { parseMemory, POOL_DEFAULTS } from "./pool_defaults.ts";
export { ContainerPool, type PoolSpec } from "./container_pool.ts";
export { ALLOWLIST_KEY, checkCommand, type CommandInput, type CommandOutput } from "./command.ts";
export { type AppPoolSource, followApps } from "./follow_apps.ts";
export { currentInstance, type KilnInstance, removeOrphans } from "./instance.ts";
export { startContainerTier } from "./kiln_wiring.ts";
