import assert from "node:assert/strict";
import { appFiles, rejection, withRegistry } from "./_test_support.ts";

Deno.test("a created key validates with its permissions; revoking it invalidates it", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const key = await registry.createApiKey("shop", {
      description: "ci",
      permissions: ["invoke", "runtime:*"],
    });
    assert.match(key.apiKey, new RegExp(`^kiln_${key.keyId}_`));
    assert.equal(registry.getApplicationStatus("shop").revision, key.revision);
    assert.deepEqual(registry.validateApiKey(key.apiKey), {
      isValid: true,
      appId: "shop",
      keyId: key.keyId,
      permissions: ["invoke", "runtime:*"],
    });
    // Only the salted hash is committed, and the permission listing never shows it.
    const file = await state.getDefinitionFileContent("shop", "security_config.yaml");
    const secret = key.apiKey.slice(`kiln_${key.keyId}_`.length);
    assert.equal(secret.length, 43);
    assert.ok(!file.content!.includes(secret));
    const listed = registry.getApplicationPermissions("shop").apiKeys;
    assert.deepEqual(listed.map((k) => [k.keyId, "keyHash" in k]), [[key.keyId, false]]);

    const revoked = await registry.revokeApiKey("shop", key.keyId);
    assert.notEqual(revoked.revision, key.revision);
    assert.deepEqual(registry.validateApiKey(key.apiKey), { isValid: false });
    assert.equal((await rejection(registry.revokeApiKey("shop", key.keyId))).code, "NOT_FOUND");
  });
});

Deno.test("createApiKey() refuses unknown permissions and unknown apps, committing nothing", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const head = await state.definitions.head("shop");
    const err = await rejection(
      registry.createApiKey("shop", { permissions: ["invoke", "root", "nope:*"] }),
    );
    assert.equal(err.code, "VALIDATION_ERROR");
    assert.match(err.message, /unknown permission "root"/);
    assert.equal((err as unknown as { details: { issues: unknown[] } }).details.issues.length, 2);
    assert.equal(await state.definitions.head("shop"), head);
    assert.equal((await rejection(registry.createApiKey("ghost", {}))).code, "APP_NOT_FOUND");
    assert.equal((await rejection(registry.revokeApiKey("ghost", "x"))).code, "APP_NOT_FOUND");
  });
});

Deno.test("a wrong secret, a malformed key, a disabled key and a deregistered app's key fail", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const { apiKey, keyId } = await registry.createApiKey("shop", {});
    const forged = apiKey.slice(0, -4) + (apiKey.endsWith("AAAA") ? "BBBB" : "AAAA");
    assert.deepEqual(registry.validateApiKey(forged), { isValid: false });
    assert.deepEqual(registry.validateApiKey("kiln_short_x"), { isValid: false });
    assert.deepEqual(registry.validateApiKey(""), { isValid: false });

    const file = await state.getDefinitionFileContent("shop", "security_config.yaml");
    const disabled = file.content!.replace("enabled: true", "enabled: false");
    assert.notEqual(disabled, file.content);
    await state.setDefinitionFileContent("shop", "security_config.yaml", disabled, undefined, {
      commitMessage: "disable",
    });
    assert.deepEqual(registry.validateApiKey(apiKey), { isValid: false });

    const second = await registry.createApiKey("shop", { permissions: ["app:read"] });
    assert.equal(registry.validateApiKey(second.apiKey).isValid, true);
    await registry.deregisterApplication("shop");
    assert.deepEqual(registry.validateApiKey(second.apiKey), { isValid: false });
    assert.notEqual(keyId, second.keyId);
  });
});

Deno.test("a key id another app already holds stays with the first app", async () => {
  await withRegistry(async ({ registry, state }) => {
    await registry.registerApplication({ files: appFiles("shop") });
    const key = await registry.createApiKey("shop", { permissions: ["invoke"] });
    const security = await state.getDefinitionFileContent("shop", "security_config.yaml");
    // A second app copies the first app's key entry, hash and all.
    await registry.registerApplication({
      files: appFiles("copycat", { "security_config.yaml": security.content! }),
    });
    assert.equal(registry.validateApiKey(key.apiKey).appId, "shop");
    // Once the owner lets the id go, it is still not handed to the copy until that app is served
    // again: the index follows what each app serves.
    await registry.revokeApiKey("shop", key.keyId);
    assert.equal(registry.validateApiKey(key.apiKey).isValid, false);
    await state.setDefinitionFileContent("copycat", "notes.yaml", "a: 1\n", undefined, {
      commitMessage: "touch",
    });
    assert.equal(registry.validateApiKey(key.apiKey).appId, "copycat");
  });
});

Deno.test("keys survive a restart and the operator's comments survive a key edit", async () => {
  await withRegistry(async ({ registry, state, reopen }) => {
    const security = "# who may call us\napiKeys: [] # managed by kiln\n";
    await registry.registerApplication({
      files: appFiles("shop", { "security_config.yaml": security }),
    });
    const key = await registry.createApiKey("shop", { permissions: ["invoke"] });
    const file = await state.getDefinitionFileContent("shop", "security_config.yaml");
    assert.match(file.content!, /^# who may call us\n/);
    assert.match(file.content!, new RegExp(`keyId: ${key.keyId}`));

    const again = reopen();
    await again.load();
    assert.equal(again.validateApiKey(key.apiKey).appId, "shop");
  });
});
