import { join } from "node:path";
import type { Clock, Lazy, Logger } from "../../core/mod.ts";
import { ContainerTier } from "./container_tier.ts";
import { DockerodeApi } from "./dockerode_api.ts";
import { type AppPoolSource, followApps } from "./follow_apps.ts";
import { DENO_RUNNER_IMAGE, PYTHON_RUNNER_IMAGE } from "./images.ts";

export type { ContainerTier };

/**
 * What `src/kiln.ts` calls: starts the container tier when enabled and Docker answers, keeps its
 * pools following the registry's apps, and returns it with its close (or null, logged).
 */
export async function startContainerTier(o: {
  enabled: boolean;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  registry: AppPoolSource;
  /** `/mcp`, which containers call back; built after the tier, so set once it exists. */
  mcp: Lazy<{ handle(req: Request): Promise<Response> }>;
}): Promise<{ tier: ContainerTier; close(): Promise<void> } | null> {
  if (!o.enabled) return null;
  const log = o.logger.with({ component: "sandbox", tier: "container" });
  let tier: ContainerTier;
  try {
    const docker = new DockerodeApi();
    await docker.ping();
    let socketRoot = join(o.dataDir, "sandbox");
    if (socketRoot.length > 70) socketRoot = await Deno.makeTempDir({ prefix: "kiln-sb-" });
    tier = new ContainerTier({
      docker,
      socketRoot,
      logger: o.logger,
      clock: o.clock,
      // Before `/mcp` exists no component runs, so nothing calls back; answer 503 all the same.
      mcpHandler: (req) =>
        o.mcp.ready
          ? o.mcp.get().handle(req)
          : Promise.resolve(new Response(null, { status: 503 })),
    });
    await tier.ready();
  } catch (err) {
    log.info("container tier off: docker is not reachable", { reason: String(err) });
    return null;
  }
  for (const image of [DENO_RUNNER_IMAGE, PYTHON_RUNNER_IMAGE]) {
    if (!await tier.docker.imageExists(image).catch(() => true)) {
      log.warn("sandbox image missing; run kiln sandbox build-images", { image });
    }
  }
  const unfollow = followApps(o.registry, tier);
  return {
    tier,
    close: async () => {
      unfollow();
      await tier.close();
    },
  };
}
