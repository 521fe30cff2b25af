/**
 * Over HTTP, on the real wasm tier (one pool of QuickJS workers that every app shares): an app
 * whose guests run long holds at most all but one worker while another app waits, so the other
 * app is answered while the slow app's runs go on (ADR 0036).
 */
import assert from "node:assert/strict";
import { silentLogger } from "../src/core/mod.ts";
import { WasmTier } from "../src/sandbox/mod.ts";
import { minimalApp, startKiln } from "./_support/kiln.ts";

const registry = `components:
  - componentId: quick
    handlerType: jit
    runtime: wasm
    taskDetails: { script: code/app.ts, function: quick, language: typescript }
    routeMatcher: { pathPattern: /quick, methods: [GET] }
  - componentId: spin
    handlerType: jit
    runtime: wasm
    taskDetails: { script: code/app.ts, function: spin, language: typescript }
    routeMatcher: { pathPattern: /spin, methods: [GET] }
`;

const files = (appId: string) =>
  minimalApp(appId, {
    "component_registry.yaml": registry,
    "code/app.ts": `export function quick() { return { quick: true }; }
export function spin() {
  const until = Date.now() + 800;
  while (Date.now() < until) { /* a guest that holds its worker */ }
  return { spun: true };
}
`,
  });

Deno.test("wasm: one app's long-running guests never hold every worker while another app waits", async () => {
  const tier = new WasmTier({ logger: silentLogger, workers: 2 });
  const k = await startKiln({ tiers: [tier] });
  const get = async (path: string) => {
    const res = await k.raw(new Request(`http://kiln.test${path}`));
    return { status: res.status, body: await res.json(), at: performance.now() };
  };
  try {
    await k.kiln.registry.registerApplication({ files: files("busy") });
    await k.kiln.registry.registerApplication({ files: files("other") });
    assert.equal((await get("/apps/other/quick")).status, 200);
    const spins = [get("/apps/busy/spin"), get("/apps/busy/spin"), get("/apps/busy/spin")];
    await new Promise((r) => setTimeout(r, 100));
    const other = await get("/apps/other/quick");
    assert.equal(other.status, 200, JSON.stringify(other.body));
    const done = await Promise.all(spins);
    for (const spin of done) assert.equal(spin.status, 200, JSON.stringify(spin.body));
    const first = Math.min(...done.map((d) => d.at));
    assert.ok(
      other.at < first,
      `the other app was answered ${
        Math.round(other.at - first)
      } ms after the first long run ended`,
    );
  } finally {
    await k.close();
  }
});
