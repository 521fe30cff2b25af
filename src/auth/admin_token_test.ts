import assert from "node:assert/strict";
import { hashSecret } from "./_hash.ts";
import { EmbeddedStore } from "../state/mod.ts";
import { AdminTokenVerifier, setupAdminToken } from "./admin_token.ts";

const TOKEN = "kiln_admin_0123456789abcdef0123456789";

Deno.test("AdminTokenVerifier accepts the admin token again without rehashing, and nothing else", () => {
  const verifier = new AdminTokenVerifier(hashSecret(TOKEN));
  assert.equal(verifier.verify("kiln_admin_guess_0000000000000000000"), false);
  assert.equal(verifier.verify(TOKEN), true);
  assert.equal(verifier.verify(TOKEN), true, "the remembered token still verifies");
  for (const wrong of [TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.replace(/9$/, "8"), ""]) {
    assert.equal(verifier.verify(wrong), false, wrong);
  }
});

Deno.test("a KILN_ADMIN_TOKEN verifies before its hash is stored, and the stored hash verifies it after", async () => {
  const store = EmbeddedStore.open(":memory:");
  try {
    const old = await setupAdminToken(store, undefined);
    assert.ok(old.generated, "a first start generates a token");
    const given = await setupAdminToken(store, TOKEN);
    assert.equal(given.generated, undefined);
    assert.equal(given.verifier.verify(TOKEN), true, "verified as text, before any hash exists");
    assert.equal(given.verifier.verify(old.generated!), false, "the replaced token is refused");
    assert.equal(given.verifier.verify(`${TOKEN}x`), false);
    const before = await setupAdminToken(store, undefined);
    assert.equal(before.verifier.verify(TOKEN), false, "not stored until persist() runs");
    await given.persist!();
    const after = await setupAdminToken(store, undefined);
    assert.equal(after.generated, undefined, "a restart without the variable keeps the hash");
    assert.equal(after.verifier.verify(TOKEN), true);
    assert.equal(after.verifier.verify(old.generated!), false);
  } finally {
    store.close();
  }
});

Deno.test("a KILN_ADMIN_TOKEN shorter than 16 characters is refused", async () => {
  const store = EmbeddedStore.open(":memory:");
  try {
    await assert.rejects(setupAdminToken(store, "short"), /at least 16 characters/);
  } finally {
    store.close();
  }
});
