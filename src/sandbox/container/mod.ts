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
