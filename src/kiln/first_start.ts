import type { Logger } from "../core/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import type { KilnOptions } from "./options.ts";

export const META = "kiln:meta";

/**
 * Registers the example app on the first start of an empty data dir; its files load only then.
 * Marks the data dir as started either way.
 */
export async function registerOnFirstStart(
  store: StoreDriver,
  registry: Registry,
  files: KilnOptions["firstStartApp"],
  logger: Logger,
  ready: () => Promise<unknown>,
): Promise<void> {
  const seen = await store.get(META, "initialized");
  if (seen.found) return;
  if (files && registry.listApplications().length === 0) {
    const app = typeof files === "function" ? await files() : files;
    await ready();
    const details = await registry.registerApplication({ files: app }, "Kiln <kiln@localhost>");
    logger.info("registered the example app on first start", { appId: details.appId });
  }
  await store.set(META, "initialized", new Date().toISOString());
}
