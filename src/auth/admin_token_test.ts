import assert from "node:assert/strict";
import { hashSecret } from "./_hash.ts";
import { AdminTokenVerifier } from "./admin_token.ts";

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
