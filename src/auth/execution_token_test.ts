import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { KilnError } from "../core/mod.ts";
import { EmbeddedStore } from "../state/mod.ts";
import { AdminTokenVerifier } from "./admin_token.ts";
import { ExecutionTokens, LOCAL_ENDED_KEEP } from "./execution_token.ts";
import { allows, Authenticator } from "./principal.ts";

type Fake = ReturnType<typeof FakeTimers.createClock>;

async function withTokens(
  body: (tokens: ExecutionTokens, fake: Fake, store: EmbeddedStore) => void | Promise<void>,
): Promise<void> {
  const fake = FakeTimers.createClock(Date.UTC(2026, 0, 2));
  const store = EmbeddedStore.open(":memory:", { clock: { now: () => fake.now } });
  try {
    await body(await ExecutionTokens.open(store, { now: () => fake.now }), fake, store);
  } finally {
    await store.close();
  }
}

const GRANT = { appId: "shop", componentId: "getUser", tools: ["core.state.getRuntimeValue"] };

Deno.test("mint() binds a token to app, component and tools; verify() reads them back", async () => {
  await withTokens((tokens, fake) => {
    const { token, expiresAt } = tokens.mint(GRANT);
    assert.match(token, /^kiln_exec_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.equal(expiresAt, fake.now + 300_000, "the default lifetime is 300 s");
    const payload = tokens.verify(token);
    assert.ok(payload);
    assert.deepEqual([payload.a, payload.c, payload.t, payload.e], [
      "shop",
      "getUser",
      ["core.state.getRuntimeValue"],
      expiresAt,
    ]);
    assert.notEqual(tokens.mint(GRANT).token, token, "a nonce makes every token distinct");
  });
});

Deno.test("verify() rejects a token once it expires", async () => {
  await withTokens((tokens, fake) => {
    const { token } = tokens.mint({ ...GRANT, ttlSeconds: 60 });
    fake.tick(59_999);
    assert.ok(tokens.verify(token));
    fake.tick(1);
    assert.equal(tokens.verify(token), null);
    assert.equal(tokens.inspect(token)?.expired, true);
  });
});

Deno.test("verify() rejects tampered, re-signed and malformed tokens", async () => {
  await withTokens((tokens) => {
    const { token } = tokens.mint(GRANT);
    const [body, sig] = token.slice("kiln_exec_".length).split(".");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, a: "bank" })).toString("base64url");
    const flipped = sig.slice(0, -1) + (sig.endsWith("A") ? "B" : "A");
    const bad = [
      `kiln_exec_${forged}.${sig}`,
      `kiln_exec_${body}.${flipped}`,
      `kiln_exec_${body}.${sig}=`,
      `kiln_exec_${body}`,
      `kiln_exec_${body}.${sig}.x`,
      `kiln_exec_.${sig}`,
      token.replace("kiln_exec_", "kiln_exc_"),
      "",
    ];
    for (const t of bad) assert.equal(tokens.verify(t), null, t);
  });
});

Deno.test("a token signed by another secret is rejected; the secret survives a restart", async () => {
  await withTokens(async (tokens, fake, store) => {
    const { token } = tokens.mint(GRANT);
    const reopened = await ExecutionTokens.open(store, { now: () => fake.now });
    assert.ok(reopened.verify(token), "the stored secret is reused");
    const other = EmbeddedStore.open(":memory:");
    try {
      assert.equal((await ExecutionTokens.open(other)).verify(token), null);
    } finally {
      await other.close();
    }
  });
});

Deno.test("mint() refuses bad lifetimes and ids", async () => {
  await withTokens((tokens) => {
    for (
      const req of [
        { ...GRANT, ttlSeconds: 0 },
        { ...GRANT, ttlSeconds: 3601 },
        { ...GRANT, ttlSeconds: 1.5 },
        { ...GRANT, appId: "Bad_App" },
        { ...GRANT, componentId: "1x" },
        { ...GRANT, tools: [""] },
      ]
    ) {
      assert.throws(
        () => tokens.mint(req),
        (e) => e instanceof KilnError && e.code === "VALIDATION_ERROR",
      );
    }
    assert.ok(tokens.mint({ ...GRANT, ttlSeconds: 3600 }).token);
  });
});

Deno.test("Authenticator turns execution tokens into execution principals, expired ones into 401", async () => {
  await withTokens((tokens, fake) => {
    const auth = new Authenticator(
      new AdminTokenVerifier("sha256$x$y"),
      () => ({ isValid: false }),
      tokens,
    );
    const { token, expiresAt } = tokens.mint({ ...GRANT, ttlSeconds: 10 });
    const principal = auth.authenticate(`Bearer ${token}`);
    assert.deepEqual(principal, {
      kind: "execution",
      appId: "shop",
      componentId: "getUser",
      tools: ["core.state.getRuntimeValue"],
      expiresAt,
    });
    assert.equal(allows(principal, "shop", "runtime:read"), false, "no HTTP API permissions");
    fake.tick(10_000);
    assert.throws(
      () => auth.authenticate(`Bearer ${token}`),
      (e) => e instanceof KilnError && e.code === "UNAUTHORIZED" && /expired/.test(e.message),
    );
    const without = new Authenticator(
      new AdminTokenVerifier("sha256$x$y"),
      () => ({ isValid: false }),
    );
    assert.throws(
      () => without.authenticate(`Bearer ${tokens.mint(GRANT).token}`),
      (e) => e instanceof KilnError && e.code === "UNAUTHORIZED",
    );
  });
});

Deno.test("nodes opening an empty store at once agree on one secret", async () => {
  const timers = FakeTimers.install({ toFake: ["setTimeout"] });
  const store = EmbeddedStore.open(":memory:");
  try {
    const opening = Promise.all([ExecutionTokens.open(store), ExecutionTokens.open(store)]);
    await timers.runAllAsync();
    const [first, second] = await opening;
    assert.ok(second.verify(first.mint(GRANT).token));
    assert.ok(first.verify(second.mint(GRANT).token));
  } finally {
    timers.uninstall();
    await store.close();
  }
});

Deno.test("revoke() ends a token before its expiry; the authenticator says why", async () => {
  await withTokens((tokens, fake) => {
    const { token } = tokens.mint({ ...GRANT, ttlSeconds: 60 });
    const other = tokens.mint(GRANT).token;
    tokens.revoke(token);
    assert.equal(tokens.verify(token), null);
    assert.equal(tokens.inspect(token)?.revoked, true);
    assert.ok(tokens.verify(other), "only that token is revoked");
    const auth = new Authenticator(
      new AdminTokenVerifier("sha256$x$y"),
      () => ({ isValid: false }),
      tokens,
    );
    assert.throws(
      () => auth.authenticate(`Bearer ${token}`),
      (err) => err instanceof KilnError && err.status === 401 && /revoked/.test(err.message),
    );
    tokens.revoke("kiln_exec_forged.sig");
    fake.tick(61_000);
    assert.equal(tokens.inspect(token)?.expired, true, "past expiry it is simply expired");
  });
});

Deno.test("a local token verifies in its process only, with no signature, until it is revoked", async () => {
  await withTokens(async (tokens, fake, store) => {
    const { token, expiresAt } = tokens.mint({ ...GRANT, ttlSeconds: 60, local: true });
    assert.match(token, /^kiln_exec_l\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{24}$/);
    const payload = tokens.verify(token);
    assert.deepEqual([payload?.a, payload?.c, payload?.t, payload?.e], [
      "shop",
      "getUser",
      ["core.state.getRuntimeValue"],
      expiresAt,
    ]);
    assert.equal(tokens.liveLocalTokens, 1);
    const other = await ExecutionTokens.open(store, { now: () => fake.now });
    assert.equal(other.verify(token), null, "another process (sharing the secret) refuses it");
    const [, id, secret] = token.slice("kiln_exec_".length).split(".");
    const flipped = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const bad of [`kiln_exec_l.${id}.${flipped}`, `kiln_exec_l.${id}`, `${token}.x`]) {
      assert.equal(tokens.verify(bad), null, bad);
    }
    tokens.revoke(token);
    assert.equal(tokens.verify(token), null);
    assert.equal(
      tokens.inspect(token)?.revoked,
      true,
      "an ended execution's token reads as revoked",
    );
    assert.equal(tokens.liveLocalTokens, 0, "revoking forgets the claims");
    const auth = new Authenticator(
      new AdminTokenVerifier("sha256$x$y"),
      () => ({ isValid: false }),
      tokens,
    );
    assert.throws(
      () => auth.authenticate(`Bearer ${token}`),
      (err) => err instanceof KilnError && err.status === 401 && /revoked/.test(err.message),
    );
  });
});

Deno.test("an ended local token reads as revoked in its process without touching the shared revocations", async () => {
  const fake = FakeTimers.createClock(Date.UTC(2026, 0, 2));
  const store = EmbeddedStore.open(":memory:", { clock: { now: () => fake.now } });
  try {
    const shared: string[] = [];
    const revocations = { revoke: (id: string) => void shared.push(id), isRevoked: () => false };
    const tokens = await ExecutionTokens.open(store, { now: () => fake.now }, revocations);
    const local = tokens.mint({ ...GRANT, ttlSeconds: 60, local: true }).token;
    tokens.revoke(local);
    assert.equal(tokens.inspect(local)?.revoked, true);
    assert.deepEqual(shared, [], "a local token's end is not shared");
    const signed = tokens.mint(GRANT).token;
    tokens.revoke(signed);
    assert.equal(shared.length, 1, "a signed token's end still is");
  } finally {
    await store.close();
  }
});

Deno.test("ended local tokens are remembered as revoked up to a fixed count, then read as invalid", async () => {
  await withTokens((tokens) => {
    const mintEnded = () => {
      const { token } = tokens.mint({ ...GRANT, ttlSeconds: 60, local: true });
      tokens.revoke(token);
      return token;
    };
    const first = mintEnded();
    const ended = Array.from({ length: LOCAL_ENDED_KEEP - 1 }, mintEnded);
    assert.equal(tokens.inspect(first)?.revoked, true, "the oldest still in the window");
    const next = mintEnded();
    assert.equal(tokens.inspect(first), null, "pushed out of the window: unknown, not revoked");
    assert.equal(tokens.inspect(ended[0])?.revoked, true);
    assert.equal(tokens.inspect(next)?.revoked, true);
    for (const token of [first, ended[0], next]) assert.equal(tokens.verify(token), null);
    assert.equal(tokens.liveLocalTokens, 0);
    // A forged secret under a remembered id, or a token with an extra part, verifies nothing.
    const live = tokens.mint({ ...GRANT, ttlSeconds: 60, local: true }).token;
    assert.equal(tokens.verify(`${live}.x`), null);
    assert.equal(tokens.verify(live.replace(/.$/, (c) => (c === "A" ? "B" : "A"))), null);
    assert.ok(tokens.verify(live));
  });
});

Deno.test("a local token expires like any other, and the authenticator says so", async () => {
  await withTokens((tokens, fake) => {
    const { token } = tokens.mint({ ...GRANT, ttlSeconds: 60, local: true });
    const auth = new Authenticator(
      new AdminTokenVerifier("sha256$x$y"),
      () => ({ isValid: false }),
      tokens,
    );
    assert.equal(auth.authenticate(`Bearer ${token}`).kind, "execution");
    fake.tick(60_000);
    assert.equal(tokens.verify(token), null);
    assert.throws(
      () => auth.authenticate(`Bearer ${token}`),
      (err) => err instanceof KilnError && err.status === 401 && /expired/.test(err.message),
    );
  });
});
