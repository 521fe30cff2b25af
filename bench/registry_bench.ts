/**
 * Registry lookups with 1,000 apps registered (target: route match ≤ 20 µs).
 * Apps are registered for real (a Git repo each), then looked up through the Registry API.
 */
import { createKiln } from "../src/kiln.ts";
import { silentLogger } from "../src/core/log.ts";

const APPS = 1_000;
const dataDir = await Deno.makeTempDir({ prefix: "kiln-bench-registry-" });
const kiln = await createKiln({
  dataDir,
  adminToken: "bench-admin-token-0123456789",
  logger: silentLogger,
  watch: false,
});

function appFiles(i: number): Record<string, string> {
  const comps = Array.from({ length: 10 }, (_, c) =>
    `  - componentId: c${c}
    handlerType: jit
    taskDetails: { script: code/h.ts, function: f${c}, language: typescript }
    routeMatcher: { pathPattern: /api/v1/resource${c}/:id/items/:itemId, methods: [GET, POST] }
`).join("");
  return {
    "app_definition.yaml": `appId: app-${i}\ndisplayName: App ${i}\nversion: 1.0.0\n` +
      `configuration: { tier: gold, limits: { rpm: 100 } }\n`,
    "component_registry.yaml": `components:\n${comps}`,
    "code/h.ts": Array.from({ length: 10 }, (_, c) => `export function f${c}() {}\n`).join(""),
  };
}

const started = performance.now();
for (let i = 0; i < APPS; i++) {
  await kiln.registry.registerApplication({ files: appFiles(i) });
}
console.error(`registered ${APPS} apps in ${((performance.now() - started) / 1000).toFixed(1)} s`);

let n = 0;
Deno.bench("registry getComponentDefinition by route (1,000 apps, 10 routes each)", () => {
  n = (n + 1) % APPS;
  const hit = kiln.registry.getComponentDefinition(`app-${n}`, {
    method: "GET",
    path: "/api/v1/resource7/42/items/9",
  });
  if (!hit.found) throw new Error("no match");
});

Deno.bench("registry getComponentDefinition by id (1,000 apps)", () => {
  n = (n + 1) % APPS;
  if (!kiln.registry.getComponentDefinition(`app-${n}`, "c3").found) throw new Error("missing");
});

Deno.bench("registry getAppConfigurationValue dotted key (1,000 apps)", () => {
  n = (n + 1) % APPS;
  kiln.registry.getAppConfigurationValue(`app-${n}`, "limits.rpm", "c1");
});

globalThis.addEventListener("unload", () => Deno.removeSync(dataDir, { recursive: true }));
