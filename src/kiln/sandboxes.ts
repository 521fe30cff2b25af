import { type CodeBundler, prepareCode } from "../bundler/mod.ts";
import { kilnChildCommand, type Logger } from "../core/mod.ts";
import type { Registry } from "../registry/mod.ts";
import {
  IsolateTier,
  JcoComponentRunner,
  openCpuGroups,
  type SandboxManager,
  type TierDriver,
  WasmTier,
} from "../sandbox/mod.ts";
import type { Cleanups, KilnOptions } from "./options.ts";

/** How long registering or updating an app waits for it to get ready (see `prepareCode`). */
const PREPARE_WAIT_MS = 10_000;

/**
 * The isolate and wasm tiers, and how to start the QuickJS workers ahead of the first use. An
 * app's isolate and component hosts share one CPU group (ADR 0039); the groups go after the
 * sandboxes (`cleanups` run in order, and the sandbox manager's close is put ahead later).
 */
export function defaultTiers(
  logger: Logger,
  opts: KilnOptions,
  cleanups: Cleanups,
): { tiers: TierDriver[]; warm(): void } {
  // Sandbox hosts are Kiln itself, on the deno binary it was told to use.
  const command = kilnChildCommand({ denoPath: opts.denoPath });
  const cpuGroups = openCpuGroups(logger);
  cleanups.unshift(() => cpuGroups.close());
  const components = new JcoComponentRunner({ command, logger, cpuGroups });
  const wasm = new WasmTier({ logger, components });
  return {
    tiers: [
      new IsolateTier({ logger, command, cpuGroups }),
      wasm,
    ],
    warm: () => wasm.warm(),
  };
}

/**
 * A registered or updated app's code is built, and its tier readied (the app's own isolate host
 * started), before its registration answers: its first request then waits for neither.
 */
export function prepareOnChange(
  registry: Registry,
  deps: { bundler: CodeBundler; sandbox: SandboxManager },
  cleanups: Cleanups,
): void {
  const preparing = new Set<Promise<void>>();
  // A cluster resync reports every app as changed; only a new revision is worth a build and a
  // host (hundreds of unchanged apps would otherwise each start one at once).
  const prepared = new Map<string, string>();
  for (const { appId } of registry.listActiveApplications()) {
    prepared.set(appId, registry.snapshot(appId).revision);
  }
  const stop = registry.onAppsChanged((appId) => {
    if (!registry.listActiveApplications().some((a) => a.appId === appId)) {
      prepared.delete(appId);
      return;
    }
    const { revision, components } = registry.snapshot(appId);
    if (prepared.get(appId) === revision) return;
    prepared.set(appId, revision);
    const done = prepareCode(deps, appId, revision, components.values());
    preparing.add(done);
    void done.finally(() => preparing.delete(done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, PREPARE_WAIT_MS)));
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  });
  cleanups.unshift(async () => {
    stop();
    await Promise.all(preparing);
  });
}
