/**
 * Over HTTP: a guest stuck in a loop past its deadline is answered 504, and then nothing of it
 * runs on — Deno's `worker.terminate()` leaves such a thread running, so the process holding it
 * must end (ADR 0037) — while another app is served throughout. On the isolate tier and for
 * WebAssembly components on the wasm tier.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../src/core/mod.ts";
import { IsolateTier, JcoComponentRunner, WasmTier } from "../src/sandbox/mod.ts";
import { encodeBase64, fixtureComponent } from "./fixtures/components/_base64.ts";
import { minimalApp, startKiln } from "./_support/kiln.ts";

const registry = `components:
  - componentId: quick
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/app.ts, function: quick, language: typescript }
    routeMatcher: { pathPattern: /quick, methods: [GET] }
  - componentId: spin
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/app.ts, function: spin, language: typescript }
    routeMatcher: { pathPattern: /spin, methods: [GET] }
    limits: { timeoutMs: 300 }
`;

const files = (appId: string) =>
  minimalApp(appId, {
    "component_registry.yaml": registry,
    "code/app.ts": `export function quick() { return { quick: true }; }
export function spin() { for (;;) {} }
`,
  });

/** CPU seconds process `pid` used, all its threads (0 once it is gone). */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

Deno.test("isolate: a guest looping past its deadline gets 504 and leaves nothing running", async () => {
  const tier = new IsolateTier({ logger: silentLogger });
  const k = await startKiln({ tiers: [tier] });
  const get = async (path: string) => {
    const res = await k.raw(new Request(`http://kiln.test${path}`));
    return { status: res.status, body: await res.json() };
  };
  try {
    await k.kiln.registry.registerApplication({ files: files("loopy") });
    await k.kiln.registry.registerApplication({ files: files("other") });
    assert.equal((await get("/apps/loopy/quick")).status, 200);
    assert.equal((await get("/apps/other/quick")).status, 200);
    const pids = Object.values(tier.hostPids());
    const spun = await get("/apps/loopy/spin");
    assert.equal(spun.status, 504, JSON.stringify(spun.body));
    assert.equal(spun.body.error.code, "EXECUTION_TIMEOUT");
    assert.equal((await get("/apps/other/quick")).status, 200, "another app is served");
    // Settled: every host Kiln started, spent ones included, uses no CPU to speak of.
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await Promise.all(pids.map(cpuSeconds));
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await Promise.all(pids.map(cpuSeconds));
    const used = after.reduce((sum, s, i) => sum + Math.max(0, s - before[i]), 0);
    assert.ok(used < 0.3, `the isolate hosts used ${used.toFixed(2)} s of CPU in 1 s`);
    const again = await get("/apps/loopy/quick");
    assert.equal(again.status, 200, "the app is served on a fresh host");
    assert.deepEqual(again.body, { quick: true });
  } finally {
    await k.close();
  }
});

const componentApp = async (appId: string) =>
  minimalApp(appId, {
    "component_registry.yaml": `components:
  - componentId: echo
    handlerType: jit
    runtime: wasm
    taskDetails: { script: components/echo.wasm.b64, function: handle, language: wasm }
    routeMatcher: { pathPattern: /echo, methods: [POST] }
  - componentId: spin
    handlerType: jit
    runtime: wasm
    taskDetails: { script: components/spin.wasm.b64, function: handle, language: wasm }
    routeMatcher: { pathPattern: /spin, methods: [POST] }
    limits: { timeoutMs: 300 }
`,
    "components/echo.wasm.b64": encodeBase64(await fixtureComponent("echo")) + "\n",
    "components/spin.wasm.b64": encodeBase64(await fixtureComponent("spin")) + "\n",
  });

Deno.test("wasm: a component looping past its deadline gets 504 and leaves nothing running", async () => {
  const components = new JcoComponentRunner();
  const tier = new WasmTier({ logger: silentLogger, workers: 2, components });
  const k = await startKiln({ tiers: [tier] });
  const post = async (path: string) => {
    const res = await k.raw(new Request(`http://kiln.test${path}`, { method: "POST", body: "{}" }));
    return { status: res.status, body: await res.json() };
  };
  try {
    await k.kiln.registry.registerApplication({ files: await componentApp("loopy") });
    await k.kiln.registry.registerApplication({ files: await componentApp("other") });
    assert.equal((await post("/apps/loopy/echo")).status, 200);
    assert.equal((await post("/apps/other/echo")).status, 200);
    const pids = components.hostPids();
    assert.ok(pids.loopy !== pids.other && !Object.values(pids).includes(Deno.pid));
    const spun = await post("/apps/loopy/spin");
    assert.equal(spun.status, 504, JSON.stringify(spun.body));
    assert.equal(spun.body.error.code, "EXECUTION_TIMEOUT");
    assert.equal((await post("/apps/other/echo")).status, 200, "another app is served");
    await new Promise((r) => setTimeout(r, 1_500));
    const before = await Promise.all(Object.values(pids).map(cpuSeconds));
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await Promise.all(Object.values(pids).map(cpuSeconds));
    const used = after.reduce((sum, s, i) => sum + Math.max(0, s - before[i]), 0);
    assert.ok(used < 0.3, `the component hosts used ${used.toFixed(2)} s of CPU in 1 s`);
    assert.equal(components.hostPids().other, pids.other, "the other app's host kept running");
    const again = await post("/apps/loopy/echo");
    assert.equal(again.status, 200, "the app is served on a fresh host");
    assert.notEqual(components.hostPids().loopy, pids.loopy);
  } finally {
    await k.close();
  }
});
