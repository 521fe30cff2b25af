import assert from "node:assert/strict";
import { minimalApp, startKiln } from "./_support/kiln.ts";

const settled = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms))]);

Deno.test("with deferStart, /healthz answers at once and other requests wait for start()", async () => {
  const t = await startKiln({ deferStart: true, firstStartApp: minimalApp("shop") });
  try {
    const health = await t.call("GET", "/healthz", undefined, null);
    assert.equal(health.status, 200);
    const pending = t.call("GET", "/v1/apps/shop");
    assert.equal(await settled(pending, 200), false, "a request waits for the deferred start-up");
    await t.kiln.start();
    const app = await pending;
    assert.equal(app.status, 200, JSON.stringify(app.json));
    assert.equal(app.json.appId, "shop", "the first-start app is registered before it answers");
    assert.equal((await t.call("GET", "/v1/apps/shop")).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("without deferStart, createKiln() has done its start-up when it returns", async () => {
  const t = await startKiln({ firstStartApp: minimalApp("shop") });
  try {
    assert.equal((await t.call("GET", "/v1/apps/shop")).status, 200);
    await t.kiln.start();
  } finally {
    await t.close();
  }
});

Deno.test("with deferStart, persisted apps are restored by start(): an app request waits for it", async () => {
  const first = await startKiln({ firstStartApp: minimalApp("shop") });
  await first.kiln.close();
  const t = await startKiln({ dataDir: first.dataDir, deferStart: true });
  try {
    assert.deepEqual(t.kiln.registry.listApplications(), [], "nothing is restored before start()");
    assert.equal((await t.call("GET", "/healthz", undefined, null)).status, 200);
    const call = t.call("GET", "/apps/shop/api/users/7", undefined, null);
    const listed = t.call("GET", "/v1/apps");
    assert.equal(await settled(call, 200), false, "an app request waits for the restore");
    await t.kiln.start();
    const res = await call;
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.ok, true);
    const apps = await listed;
    assert.equal(apps.status, 200);
    assert.deepEqual(apps.json.apps.map((a: { appId: string }) => a.appId), ["shop"]);
  } finally {
    await t.close();
    await Deno.remove(first.dataDir, { recursive: true });
  }
});

Deno.test("start({ afterFirstResponseMs }) begins once the first /healthz is answered, or after the wait", async () => {
  const t = await startKiln({ deferStart: true, firstStartApp: minimalApp("shop") });
  try {
    const started = t.kiln.start({ afterFirstResponseMs: 60_000 });
    assert.equal(await settled(started, 200), false, "nothing begins before a first response");
    assert.deepEqual(t.kiln.registry.listApplications(), []);
    assert.equal((await t.call("GET", "/healthz", undefined, null)).status, 200);
    // Far sooner than the 60 s wait: the answered probe began the start-up.
    assert.equal(await settled(started, 20_000), true, "the first response begins the start-up");
    assert.equal((await t.call("GET", "/v1/apps/shop")).status, 200);
  } finally {
    await t.close();
  }
  const quiet = await startKiln({ deferStart: true });
  try {
    assert.equal(await settled(quiet.kiln.start({ afterFirstResponseMs: 50 }), 20_000), true);
  } finally {
    await quiet.close();
  }
});
