/**
 * Over HTTP, on the real isolate tier: a request that waits in its app's host for a worker is
 * refused with OVERLOADED (429) once its queue timeout has passed, like one waiting in Kiln's
 * queue, while the request ahead of it runs on; and another app is not held up by either.
 */
import assert from "node:assert/strict";
import { silentLogger } from "../src/core/mod.ts";
import { IsolateTier } from "../src/sandbox/mod.ts";
import { minimalApp, startKiln } from "./_support/kiln.ts";

const registry = `components:
  - componentId: quick
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/app.ts, function: quick, language: typescript }
    routeMatcher: { pathPattern: /quick, methods: [GET] }
  - componentId: slow
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/app.ts, function: slow, language: typescript }
    routeMatcher: { pathPattern: /slow, methods: [GET] }
`;

const files = (appId: string) =>
  minimalApp(appId, {
    "component_registry.yaml": registry,
    "code/app.ts": `export function quick() { return { quick: true }; }
export async function slow() {
  await new Promise((r) => setTimeout(r, 1500));
  return { slow: true };
}
`,
  });

Deno.test("isolate: a request waiting in its app's host past the queue timeout gets 429, the one ahead runs on", async () => {
  // Runs wait in the host behind any earlier one (by default only behind runs under 50 ms).
  const tier = new IsolateTier({
    logger: silentLogger,
    workersPerApp: 1,
    queueTimeoutMs: 300,
    shareBelowMs: 60_000,
  });
  const k = await startKiln({ tiers: [tier] });
  const get = (path: string) => k.raw(new Request(`http://kiln.test${path}`));
  try {
    await k.kiln.registry.registerApplication({ files: files("busy") });
    await k.kiln.registry.registerApplication({ files: files("other") });
    assert.equal((await get("/apps/busy/quick")).status, 200);
    const slow = get("/apps/busy/slow");
    slow.catch(() => {}); // awaited below; a failed assertion before must not leave it dangling
    await new Promise((r) => setTimeout(r, 100));
    const sent = performance.now();
    const refused = await get("/apps/busy/quick");
    const waited = performance.now() - sent;
    const body = await refused.json();
    assert.equal(refused.status, 429, JSON.stringify(body));
    assert.equal(body.error.code, "OVERLOADED");
    assert.match(
      body.error.message,
      /the isolate tier is busy: no sandbox became free within 300 ms/,
    );
    assert.deepEqual(body.error.details, { tier: "isolate", queueTimeoutMs: 300 });
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.ok(
      waited < 1_000,
      `refused at its queue timeout, not after the run ahead (${waited} ms)`,
    );

    const other = await get("/apps/other/quick");
    assert.equal(other.status, 200, "another app is served meanwhile");
    assert.deepEqual(await other.json(), { quick: true });
    const ahead = await slow;
    assert.equal(ahead.status, 200, "the request ahead ran to its end");
    assert.deepEqual(await ahead.json(), { slow: true });
    assert.equal((await get("/apps/busy/quick")).status, 200, "the app serves again");
  } finally {
    await k.close();
  }
});
