/** The container tier (contract §5): Docker pools of runner containers behind `/execute`. */
export { DockerodeApi } from "./dockerode_api.ts";
export {
  buildRunnerImages,
  DENO_RUNNER_IMAGE,
  PYTHON_RUNNER_IMAGE,
  type RunnerKind,
} from "./images.ts";
export { ContainerTier, type ContainerTierOptions } from "./container_tier.ts";
export { startContainerTier } from "./kiln_wiring.ts";
