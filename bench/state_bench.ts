/**
 * Definition-store costs: a cached head read (the hot path of every request), an uncached read
 * (commit, trees and blob from disk), and a full applyDefinitionDiff commit.
 * Run with `deno task bench` (or `deno bench --allow-all bench/state_bench.ts`).
 */
import { createTwoFilesPatch } from "diff";
import { GitDefinitionStore } from "../src/state/git_definition_store.ts";

const APP = "bench";
const APP_DEF = "appId: bench\ndisplayName: Bench\nversion: 1.0.0\n";
const REGISTRY = Array.from(
  { length: 20 },
  (_, i) =>
    `  - componentId: c${i}\n    handlerType: jit\n    taskDetails: { script: code/c.ts, function: f${i}, language: typescript }\n`,
).join("");

const dir = await Deno.makeTempDir({ prefix: "kiln-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const store = new GitDefinitionStore({ dataDir: dir });
await store.ensureRepo(APP);
const files = new Map([
  ["app_definition.yaml", APP_DEF],
  ["component_registry.yaml", `components:\n${REGISTRY}`],
  ["code/c.ts", "export const f0 = () => 0;\n"],
]);
for (let i = 0; i < 30; i++) files.set(`prompts/p${i}.yaml`, `template: prompt ${i}\n`);
await store.replaceTree(APP, files, null, { commitMessage: "bench setup" });
await store.getDefinitionFileContent(APP, "component_registry.yaml");

Deno.bench("getDefinitionFileContent, cached head", { group: "read", baseline: true }, async () => {
  await store.getDefinitionFileContent(APP, "component_registry.yaml");
});

Deno.bench("getDefinitionFileContent, uncached (cache cleared)", { group: "read" }, async (b) => {
  store.clearCache();
  b.start();
  await store.getDefinitionFileContent(APP, "prompts/p7.yaml");
  b.end();
});

let version = 0;
Deno.bench("applyDefinitionDiff (validate + commit + ref CAS)", { group: "write" }, async (b) => {
  const head = (await store.head(APP))!;
  const current = (await store.getDefinitionFileContent(APP, "app_definition.yaml")).content!;
  const next = APP_DEF.replace("1.0.0", `1.0.${++version}`);
  const patch = createTwoFilesPatch(
    "a/app_definition.yaml",
    "b/app_definition.yaml",
    current,
    next,
  );
  b.start();
  await store.applyDefinitionDiff(APP, "app_definition.yaml", patch, head, {
    commitMessage: "bench",
  });
  b.end();
});
