import type { SandboxPool } from "../../models/mod.ts";

/** What the container tier needs of the registry to keep pools in step with apps. */
export interface AppPoolSource {
  listActiveApplications(): { appId: string }[];
  getSandboxRequirements(appId: string): { pools: SandboxPool[] };
  onAppsChanged(listener: (appId: string) => void): () => void;
}

/** Where pools are configured: the container tier's `setAppPools`. */
export interface AppPoolSink {
  setAppPools(appId: string, pools: SandboxPool[] | null): void;
}

/**
 * Feeds every serving app's SandboxPoolConfig to the tier now and on each change (registered,
 * updated, deactivated, deregistered), so pools come and go with apps. Returns the unsubscribe.
 */
export function followApps(source: AppPoolSource, sink: AppPoolSink): () => void {
  const sync = (appId: string) => {
    const serving = source.listActiveApplications().some((a) => a.appId === appId);
    let pools: SandboxPool[] | null = null;
    if (serving) {
      try {
        pools = source.getSandboxRequirements(appId).pools;
      } catch {
        pools = null;
      }
    }
    sink.setAppPools(appId, pools);
  };
  for (const { appId } of source.listActiveApplications()) sync(appId);
  return source.onAppsChanged(sync);
}
