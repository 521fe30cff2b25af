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
  - componentId: hold
    handlerType: jit
    runtime: wasm
    taskDetails: { script: code/app.ts, function: hold, language: typescript }
    routeMatcher: { pathPattern: /hold, methods: [GET] }
    permissions: [core.state.getRuntimeValue]
    limits: { timeoutMs: 60000 }
`;

// `hold` keeps its worker busy until the app's runtime value `go` is set.
const files = (appId: string) =>
  minimalApp(appId, {
    "component_registry.yaml": registry,
    "code/app.ts": `import { mcp } from "kiln:sdk";
export function quick() { return { quick: true }; }
export async function hold() {
  for (;;) {
    const { found } = await mcp.call("core.state.getRuntimeValue", { key: "go" }) as
      { found: boolean };
    if (found) return { held: true };
    const until = Date.now() + 20;
    while (Date.now() < until) { /* busy, as a guest that computes */ }
  }
}
`,
  });

Deno.test("wasm: one app's long-running guests never hold every worker while another app waits", async () => {
  const tier = new WasmTier({ logger: silentLogger, workers: 2, queueTimeoutMs: 60_000 });
  const k = await startKiln({ tiers: [tier] });
  const get = async (path: string) => {
    const res = await k.raw(new Request(`http://kiln.test${path}`));
    return { status: res.status, body: await res.json() };
  };
  try {
    await k.kiln.registry.registerApplication({ files: files("busy") });
    await k.kiln.registry.registerApplication({ files: files("other") });
    assert.equal((await get("/apps/other/quick")).status, 200);
    let answered = 0;
    const holds = [1, 2, 3].map(() => get("/apps/busy/hold").finally(() => answered++));
    for (let waited = 0; tier.stats().busy === 0; waited += 20) {
      assert.ok(waited < 30_000, "the held runs never started");
      await new Promise((r) => setTimeout(r, 20));
    }
    // Before: the busy app's runs held both workers, and the other app waited behind them.
    const other = await Promise.race([
      get("/apps/other/quick"),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("the other app waited 20 s")), 20_000)
      ),
    ]);
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(answered, 0, "the busy app's runs were still held");
    assert.equal(tier.stats().busy, 1, "the busy app held one worker of two");
    const go = await k.call("PUT", "/v1/apps/busy/runtime/go", { value: true });
    assert.equal(go.status, 200, JSON.stringify(go.json));
    for (const held of await Promise.all(holds)) {
      assert.equal(held.status, 200, JSON.stringify(held.body));
      assert.deepEqual(held.body, { held: true });
    }
  } finally {
    await k.close();
  }
});
