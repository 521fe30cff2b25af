import type { Clock, Lazy, Logger } from "../core/mod.ts";
import type { McpEndpoint } from "../mcp/mod.ts";
import type { AppDefinition } from "../models/mod.ts";
import type { Registry } from "../registry/mod.ts";
import { BackgroundContainerTier } from "../sandbox/mod.ts";
import type { ContainerTier } from "../sandbox/container/mod.ts";
import type { DefinitionIssue } from "../state/mod.ts";
import type { Cleanups, KilnOptions } from "./options.ts";

/** The container tier as the rest of Kiln is wired to it. */
export interface ContainerWiring {
  /** The tier for the sandbox manager and `core.linux`: the started one, or its stand-in. */
  tier?: ContainerTier | BackgroundContainerTier;
  /** The tier started before `createKiln` returned (not with `deferStart`). */
  started?: ContainerTier;
  /** Deferred: starts the tier in the background (once). */
  begin(): void;
  /** The images an app's sandbox pools name that Docker does not have. */
  imageIssues(definition: AppDefinition): Promise<DefinitionIssue[]>;
}

/**
 * The container tier. Its code (the Docker client, pools, runner images) loads when it starts:
 * at once without `deferStart`, else once Kiln listens, and never when containers are off.
 */
export async function containerTier(
  opts: KilnOptions,
  deps: { logger: Logger; clock: Clock; registry: Registry; mcp: Lazy<McpEndpoint> },
  cleanups: Cleanups,
): Promise<ContainerWiring> {
  const deferred = opts.deferStart ?? false;
  const start = async () => {
    if (!opts.containers) return null;
    const { startContainerTier } = await import("../sandbox/container/mod.ts");
    return await startContainerTier({
      enabled: true,
      dataDir: opts.dataDir,
      ...deps,
    });
  };
  // Deferred, the tier starts after `start()`; the sandbox manager closes it.
  const background = deferred && opts.containers ? new BackgroundContainerTier(start) : undefined;
  const containers = deferred ? null : await start();
  if (containers) cleanups.unshift(() => containers.close());
  const tier = async (): Promise<ContainerTier | null> => {
    if (!background) return containers?.tier ?? null;
    // Registration does not wait on a Docker that is slow to answer; the tier says so itself.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => timer = setTimeout(() => r(null), 2_000));
    return await Promise.race([background.started, late]).finally(() => clearTimeout(timer));
  };
  return {
    tier: background ?? containers?.tier,
    started: containers?.tier,
    begin: () => background?.begin(),
    imageIssues: (definition) => poolImageIssues(definition, tier),
  };
}

/**
 * The images an app's sandbox pools name that Docker does not have: they would fail every
 * request with 503 "No such image". Without a container tier nothing can be checked (and no
 * container component runs).
 */
async function poolImageIssues(
  definition: AppDefinition,
  tier: () => Promise<ContainerTier | null>,
): Promise<DefinitionIssue[]> {
  const pools = definition.sandboxPools?.pools ?? [];
  if (pools.length === 0) return [];
  const docker = (await tier())?.docker;
  if (!docker) return [];
  const issues: DefinitionIssue[] = [];
  for (const [i, pool] of pools.entries()) {
    if (await docker.imageExists(pool.dockerImage).catch(() => true)) continue;
    issues.push({
      path: "app_definition.yaml",
      field: `sandboxPools.pools.${i}.dockerImage`,
      message: `expected an image Docker has; found ${
        JSON.stringify(pool.dockerImage)
      }, which it does not (build it with kiln sandbox build-images, or pull it)`,
    });
  }
  return issues;
}
