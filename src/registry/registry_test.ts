import assert from "node:assert/strict";
import { appFiles, rejection, withRegistry } from "./_test_support.ts";

const MSG = { commitMessage: "test" };

Deno.test("registerApplication() serves the app ACTIVE; a restarted registry load()s it back", async () => {
  await withRegistry(async ({ registry, state, reopen }) => {
    const details = await registry.registerApplication({ files: appFiles("shop") }, "Ann <a@x>");
    assert.equal(details.status, "ACTIVE");
    assert.equal(details.revision, await state.definitions.head("shop"));
    assert.deepEqual(details.components.map((c) => c.componentId), ["hello"]);
    const hit = registry.getComponentDefinition("shop", { method: "GET", path: "/hello/bo" });
    assert.equal(hit.definition?.componentId, "hello");
    assert.deepEqual(hit.extractedPathParameters, { name: "bo" });

    const again = reopen();
    assert.deepEqual(again.listApplications(), []);
    await again.load();
    assert.deepEqual(again.getApplicationStatus("shop"), registry.getApplicationStatus("shop"));
    assert.equal(again.getComponentDefinition("shop", "hello").found, true);
  });
});

Deno.test("a second registration of an appId is APP_EXISTS; an invalid app leaves no repo", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const dup = await rejection(registry.registerApplication({ files: appFiles("shop") }));
    assert.equal(dup.code, "APP_EXISTS");

    const broken = appFiles("bad", { "component_registry.yaml": "components: [{ nope: 1 }]\n" });
    const err = await rejection(registry.registerApplication({ files: broken }));
    assert.equal(err.code, "VALIDATION_ERROR");
    assert.equal(await state.definitions.repoExists("bad"), false);
    assert.deepEqual(registry.listApplications().map((a) => a.appId), ["shop"]);
    assert.equal(
      (await rejection(Promise.resolve().then(() => registry.snapshot("bad")))).code,
      "APP_NOT_FOUND",
    );
  });
});

Deno.test("a commit through the state manager is served at once; sync() catches up on others", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const code = "export function hello() {\n  return 2;\n}\n";
    const notified = await state.setDefinitionFileContent(
      "shop",
      "code/hello.ts",
      code,
      undefined,
      MSG,
    );
    assert.equal(registry.getApplicationStatus("shop").revision, notified.resultingRevision);

    // A write straight to the definition store (as a `git push` is) is not seen until sync().
    const behind = await state.definitions.setDefinitionFileContent(
      "shop",
      "notes.yaml",
      "a: 1\n",
      undefined,
      MSG,
    );
    assert.equal(registry.getApplicationStatus("shop").revision, notified.resultingRevision);
    const synced = await registry.sync("shop");
    assert.equal(synced.revision, behind.resultingRevision);
    assert.equal(synced.status, "ACTIVE");
  });
});

Deno.test("updateApplication() replaces the definitions in one commit and refuses another appId", async () => {
  await withRegistry(async ({ registry, state }) => {
    const first = await registry.registerApplication({ files: appFiles("shop") });
    const files = appFiles("shop", { "component_registry.yaml": "components: []\n" });
    const next = await registry.updateApplication("shop", { files });
    assert.notEqual(next.revision, first.revision);
    assert.deepEqual(next.components, []);
    const history = await state.definitions.history("shop", {});
    assert.equal(history.length, 2);

    const foreign = await rejection(
      registry.updateApplication("shop", { files: appFiles("other") }),
    );
    assert.equal(foreign.code, "VALIDATION_ERROR");
    assert.match(foreign.message, /declares appId "other"/);
    assert.equal(registry.getApplicationStatus("shop").revision, next.revision);
  });
});

Deno.test("setActive() takes an app out of service; deregister with deleteState removes its state", async () => {
  const scopes = (appId: string) => [`jit:${appId}`];
  await withRegistry(async ({ registry, state, store, reopen }) => {
    const changed: string[] = [];
    registry.onAppsChanged((appId) => void changed.push(appId));
    await registry.registerApplication({ files: appFiles("shop") });
    await registry.registerApplication({ files: appFiles("mall") });
    const off = await registry.setActive("shop", false);
    assert.equal(off.status, "INACTIVE");
    assert.deepEqual(registry.listActiveApplications().map((a) => a.appId), ["mall"]);
    assert.equal((await registry.setActive("shop", true)).status, "ACTIVE");

    await state.runtime.setRuntimeValue("shop", "visits", 3);
    await store.set("jit:shop", "sample", 1);
    await registry.deregisterApplication("shop", true);
    assert.deepEqual(registry.listApplications().map((a) => a.appId), ["mall"]);
    assert.equal(await state.definitions.repoExists("shop"), false);
    assert.equal((await state.runtime.getRuntimeValue("shop", "visits")).found, false);
    assert.equal((await store.get("jit:shop", "sample")).found, false);
    assert.ok(changed.includes("shop"));

    // The deregistration persisted: a restarted registry does not bring the app back.
    const again = reopen();
    await again.load();
    assert.deepEqual(again.listApplications().map((a) => a.appId), ["mall"]);
  }, { appScopes: scopes });
});

Deno.test("getAppConfigurationValue() prefers component over app over global", async () => {
  await withRegistry(async ({ registry }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    assert.deepEqual(registry.getAppConfigurationValue("shop", "greeting", "hello"), {
      found: true,
      value: "component",
      source: "component",
    });
    assert.deepEqual(registry.getAppConfigurationValue("shop", "greeting"), {
      found: true,
      value: "app",
      source: "app",
    });
    assert.deepEqual(registry.getAppConfigurationValue("shop", "region"), {
      found: true,
      value: "eu",
      source: "global",
    });
    assert.equal(registry.getAppConfigurationValue("shop", "missing").found, false);
    assert.throws(
      () => registry.getAppConfigurationValue("shop", "greeting", "nope"),
      /no component "nope"/,
    );
  }, { configuration: { region: "eu", greeting: "global" } });
});
