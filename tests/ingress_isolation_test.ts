/**
 * Over HTTP, on the real tiers: an app's runaway or memory-hungry component is stopped with a
 * clear error, its app recovers on the next request, and other apps and Kiln never notice.
 */
import assert from "node:assert/strict";
import { startIngress } from "./_support/ingress.ts";
import { minimalApp } from "./_support/kiln.ts";

const registry = (runtime: string) =>
  `components:
  - componentId: bomb
    handlerType: jit
    runtime: ${runtime}
    trust: trusted
    taskDetails: { script: code/bomb.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /bomb, methods: [GET] }
    limits: { timeoutMs: 20000, memoryMb: 64 }
  - componentId: spin
    handlerType: jit
    runtime: ${runtime}
    trust: trusted
    taskDetails: { script: code/spin.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /spin, methods: [GET] }
    limits: { timeoutMs: 300 }
  - componentId: steady
    handlerType: jit
    runtime: ${runtime}
    trust: trusted
    taskDetails: { script: code/steady.ts, function: run, language: typescript }
    routeMatcher: { pathPattern: /steady, methods: [GET] }
`;

const files = (appId: string, runtime: string) =>
  minimalApp(appId, {
    "component_registry.yaml": registry(runtime),
    "code/bomb.ts": "export function run() {\n  const keep: number[][] = [];\n" +
      "  for (;;) keep.push(new Array(1e6).fill(1));\n}\n",
    "code/spin.ts": "export function run() {\n  for (;;) { /* never yields */ }\n}\n",
    "code/steady.ts": "export async function run() {\n  let n = 0;\n" +
      "  for (let i = 0; i < 10; i++) { await Promise.resolve(); n++; }\n" +
      "  return { n };\n}\n",
  });

for (const runtime of ["isolate", "wasm"]) {
  Deno.test(`${runtime}: a memory bomb and an endless loop are stopped, and other apps keep serving`, async () => {
    const k = await startIngress();
    try {
      await k.t.kiln.registry.registerApplication({ files: files("rogue", runtime) });
      await k.t.kiln.registry.registerApplication({ files: files("calm", runtime) });
      assert.equal((await k.fetch("/apps/calm/steady")).status, 200);

      const steady = k.fetch("/apps/calm/steady");
      const bomb = await k.fetch("/apps/rogue/bomb");
      const killed = await bomb.json();
      assert.equal(bomb.status, 500, JSON.stringify(killed));
      assert.equal(bomb.headers.get("x-kiln-tier"), runtime);
      assert.equal(killed.error.code, "SANDBOX_KILLED");
      assert.equal(killed.error.details.reason, "memory");
      assert.match(killed.error.message, /"rogue\/bomb" exceeded its 64 MB memory limit/);
      const calm = await steady;
      assert.equal(calm.status, 200, "the other app's request went through");
      assert.deepEqual(await calm.json(), { n: 10 });

      const spin = await k.fetch("/apps/rogue/spin");
      const timedOut = await spin.json();
      assert.equal(spin.status, 504, JSON.stringify(timedOut));
      assert.equal(timedOut.error.code, "EXECUTION_TIMEOUT");
      assert.equal(timedOut.error.details.reason, "timeout");

      const back = await k.fetch("/apps/rogue/steady");
      assert.equal(back.status, 200, "the rogue app recovers on its next request");
      assert.deepEqual(await back.json(), { n: 10 });
    } finally {
      await k.close();
    }
  });
}
