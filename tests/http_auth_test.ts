import assert from "node:assert/strict";
import { minimalApp, startKiln } from "./_support/kiln.ts";

Deno.test("no token or a bad token answers 401 with WWW-Authenticate", async () => {
  const t = await startKiln();
  try {
    for (const token of [null, "nope", "kiln_aaaaaaaaaaaa_" + "x".repeat(43)]) {
      const res = await t.call("GET", "/v1/apps", undefined, token);
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, "UNAUTHORIZED");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.equal((await t.call("GET", "/healthz", undefined, null)).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("an app key reaches only its own app, within its permissions, until revoked", async () => {
  const t = await startKiln();
  try {
    await t.call("POST", "/v1/apps", { files: minimalApp("shop") });
    await t.call("POST", "/v1/apps", { files: minimalApp("bank") });
    const created = await t.call("POST", "/v1/apps/shop/keys", {
      description: "reader",
      permissions: ["app:read", "definitions:read", "runtime:*"],
    });
    assert.equal(created.status, 201);
    const key: string = created.json.apiKey;
    assert.match(key, /^kiln_[a-z0-9]{12}_/);

    const stored = await t.call("GET", "/v1/apps/shop/definitions/file?path=security_config.yaml");
    // The secret is all after `kiln_<keyId>_` (18 characters); it may itself hold underscores.
    const secret = key.slice(18);
    assert.equal(secret.length, 43);
    assert.ok(!stored.json.content.includes(secret), "the secret is never stored");
    assert.ok(stored.json.content.includes(created.json.keyId));

    assert.equal((await t.call("GET", "/v1/apps/shop", undefined, key)).status, 200);
    assert.equal((await t.call("PUT", "/v1/apps/shop/runtime/k", { value: 1 }, key)).status, 200);
    assert.deepEqual(
      (await t.call("GET", "/v1/apps", undefined, key)).json.apps.map((a: { appId: string }) =>
        a.appId
      ),
      ["shop"],
    );
    const other = await t.call("GET", "/v1/apps/bank/runtime/k", undefined, key);
    assert.equal(other.status, 403);
    assert.equal(other.json.error.code, "FORBIDDEN");
    const write = await t.call("PUT", "/v1/apps/shop/definitions/file", {
      path: "x.yaml",
      content: "a: 1\n",
      commitMessage: "x",
    }, key);
    assert.equal(write.status, 403);
    assert.equal((await t.call("POST", "/v1/apps/shop/keys", {}, key)).status, 403);

    const valid = await t.call("POST", "/v1/auth/validate-key", { apiKey: key });
    assert.deepEqual(valid.json.isValid, true);
    assert.equal(valid.json.appId, "shop");

    const revoked = await t.call("DELETE", `/v1/apps/shop/keys/${created.json.keyId}`);
    assert.equal(revoked.status, 200);
    assert.equal((await t.call("GET", "/v1/apps/shop", undefined, key)).status, 401);
    assert.equal(
      (await t.call("POST", "/v1/auth/validate-key", { apiKey: key })).json.isValid,
      false,
    );
  } finally {
    await t.close();
  }
});

Deno.test("oversized bodies answer 413 and change nothing", async () => {
  const t = await startKiln();
  try {
    const big = "x".repeat(3 << 20);
    const res = await t.call("POST", "/v1/apps", { files: minimalApp("huge", { "big.txt": big }) });
    assert.equal(res.status, 413);
    assert.equal(res.json.error.code, "PAYLOAD_TOO_LARGE");
    assert.equal((await t.call("GET", "/v1/apps/huge")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("a body that is not JSON is a 400, an unknown media type 415", async () => {
  const t = await startKiln();
  try {
    const res = await t.raw(
      new Request("http://kiln.test/v1/apps", {
        method: "POST",
        headers: {
          authorization: "Bearer test-admin-token-0123456789abcdef",
          "content-type": "application/json",
        },
        body: "{nope",
      }),
    );
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "BAD_REQUEST");
    const txt = await t.raw(
      new Request("http://kiln.test/v1/apps", {
        method: "POST",
        headers: {
          authorization: "Bearer test-admin-token-0123456789abcdef",
          "content-type": "text/plain",
        },
        body: "hello",
      }),
    );
    assert.equal(txt.status, 415);
  } finally {
    await t.close();
  }
});

Deno.test("GET /openapi.json is OpenAPI 3.1 and /docs serves an offline reference", async () => {
  const t = await startKiln();
  try {
    const doc = await t.call("GET", "/openapi.json", undefined, null);
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, "3.1.0");
    for (
      const p of ["/v1/apps", "/v1/apps/{appId}/definitions/file", "/v1/apps/{appId}/runtime/{key}"]
    ) {
      assert.ok(doc.json.paths[p], `documents ${p}`);
    }
    const page = await t.raw(new Request("http://kiln.test/docs"));
    assert.match(await page.text(), /swagger-ui-bundle\.js/);
    const asset = await t.raw(new Request("http://kiln.test/docs/assets/swagger-ui-bundle.js"));
    assert.equal(asset.status, 200);
    assert.ok((await asset.text()).length > 100_000);
  } finally {
    await t.close();
  }
});
