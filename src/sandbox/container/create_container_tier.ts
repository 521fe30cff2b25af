import { ContainerTier, type ContainerTierOptions } from "./container_tier.ts";
import { DockerodeApi } from "./dockerode_api.ts";
import type { DockerApi } from "./docker_api.ts";

/** Options for `createContainerTier`: the tier's, with the Docker client made for you. */
export type CreateContainerTierOptions = Omit<ContainerTierOptions, "docker"> & {
  docker?: DockerApi;
};

/**
 * Builds the container tier when Docker answers; otherwise resolves to null and says why, so a
 * node without Docker still starts (its container components answer 503).
 */
export async function createContainerTier(
  opts: CreateContainerTierOptions,
): Promise<{ tier: ContainerTier } | { unavailable: string }> {
  const docker = opts.docker ?? new DockerodeApi();
  try {
    await docker.ping();
  } catch (err) {
    return { unavailable: `docker is not reachable: ${(err as Error).message ?? err}` };
  }
  return { tier: new ContainerTier({ ...opts, docker }) };
}
