import { type CodeBundler, prepareCode } from "../bundler/mod.ts";
import { kilnChildCommand, type Logger } from "../core/mod.ts";
import type { Registry } from "../registry/mod.ts";
import {
  IsolateTier,
  JcoComponentRunner,
  type SandboxManager,
  type TierDriver,
  WasmTier,
} from "../sandbox/mod.ts";
import type { Cleanups, KilnOptions } from "./options.ts";

/** How long after an app changed its code starts building (see `prepareCode`). */
const PREPARE_DELAY_MS = 20;

/** The isolate and wasm tiers, and how to start the QuickJS workers ahead of the first use. */
export function defaultTiers(
  logger: Logger,
  opts: KilnOptions,
): { tiers: TierDriver[]; warm(): void } {
  const wasm = new WasmTier({ logger, components: new JcoComponentRunner() });
  return {
    tiers: [
      new IsolateTier({ logger, command: kilnChildCommand({ denoPath: opts.denoPath }) }),
      wasm,
    ],
    warm: () => wasm.warm(),
  };
}

/** A registered or updated app's code is built, and its tier readied, before its first request. */
export function prepareOnChange(
  registry: Registry,
  deps: { bundler: CodeBundler; sandbox: SandboxManager },
  cleanups: Cleanups,
): void {
  const preparing = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stop = registry.onAppsChanged((appId) => {
    // After the change's own response is on its way: builds hold the event loop.
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!registry.listActiveApplications().some((a) => a.appId === appId)) return;
      const { revision, components } = registry.snapshot(appId);
      const done = prepareCode(deps, appId, revision, components.values());
      preparing.add(done);
      void done.finally(() => preparing.delete(done));
    }, PREPARE_DELAY_MS);
    timers.add(timer);
  });
  cleanups.unshift(async () => {
    stop();
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(preparing);
  });
}
