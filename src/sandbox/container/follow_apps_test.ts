import assert from "node:assert/strict";
import type { SandboxPool } from "../../models/mod.ts";
import { followApps } from "./follow_apps.ts";

const pool = (poolName: string) => ({ poolName, dockerImage: "img" }) as SandboxPool;

Deno.test("followApps() gives the tier each serving app's pools and drops apps that go", () => {
  const active = new Map<string, SandboxPool[]>([["a", [pool("web")]]]);
  let listener: (appId: string) => void = () => {};
  const seen: [string, string[] | null][] = [];
  const stop = followApps({
    listActiveApplications: () => [...active.keys()].map((appId) => ({ appId })),
    getSandboxRequirements: (appId) => ({ pools: active.get(appId)! }),
    onAppsChanged: (l) => ((listener = l), () => (listener = () => {})),
  }, { setAppPools: (appId, pools) => seen.push([appId, pools?.map((p) => p.poolName) ?? null]) });
  active.set("b", [pool("py"), pool("js")]);
  listener("b");
  active.delete("a");
  listener("a");
  stop();
  listener("b");
  assert.deepEqual(seen, [["a", ["web"]], ["b", ["py", "js"]], ["a", null]]);
});
