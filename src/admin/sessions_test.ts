import assert from "node:assert/strict";
import { join } from "node:path";
import type { KilnError } from "../core/mod.ts";
import { EmbeddedStore } from "../state/mod.ts";
import { AdminSessions, csrfTokenFor } from "./sessions.ts";

async function withStore(
  fn: (store: EmbeddedStore, clock: { t: number; now(): number }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "kiln-sessions-" });
  const clock = {
    t: 1_800_000_000_000,
    now() {
      return this.t;
    },
  };
  const store = EmbeddedStore.open(join(dir, "kiln.db"), { clock });
  try {
    await fn(store, clock);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("AdminSessions stores only a hash of the session id", async () => {
  await withStore(async (store) => {
    const sessions = new AdminSessions(store);
    const s = await sessions.create();
    const rows = await store.list("kiln:admin:sessions");
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0].key, s.sessionId);
    assert.ok(!JSON.stringify(rows).includes(s.sessionId), "the raw id is nowhere in the store");
    assert.ok(!JSON.stringify(rows).includes(s.csrfToken), "nor is the CSRF token");
    assert.ok(s.sessionId.length >= 43, "256 bits of randomness");
  });
});

Deno.test("AdminSessions.lookup() answers the CSRF token of a live session and null otherwise", async () => {
  await withStore(async (store) => {
    const sessions = new AdminSessions(store);
    const s = await sessions.create();
    assert.deepEqual(await sessions.lookup(s.sessionId), {
      csrfToken: s.csrfToken,
      expiresAt: s.expiresAt,
    });
    assert.equal(s.csrfToken, csrfTokenFor(s.sessionId));
    assert.equal(await sessions.lookup("not-a-session"), null);
    assert.equal(await sessions.lookup(undefined), null);
    assert.equal(await sessions.lookup("x".repeat(500)), null);
  });
});

Deno.test("AdminSessions expire by the clock", async () => {
  await withStore(async (store, clock) => {
    const sessions = new AdminSessions(store, { clock, ttlSeconds: 60 });
    const s = await sessions.create();
    clock.t += 59_000;
    assert.ok(await sessions.lookup(s.sessionId));
    clock.t += 2_000;
    assert.equal(await sessions.lookup(s.sessionId), null);
    assert.equal((await store.list("kiln:admin:sessions")).length, 0, "the expired record is gone");
  });
});

Deno.test("AdminSessions.destroy() signs a session out", async () => {
  await withStore(async (store) => {
    const sessions = new AdminSessions(store);
    const s = await sessions.create();
    await sessions.destroy(s.sessionId);
    assert.equal(await sessions.lookup(s.sessionId), null);
  });
});

Deno.test("AdminSessions.require() wants the CSRF token only for unsafe requests", async () => {
  await withStore(async (store) => {
    const sessions = new AdminSessions(store);
    const s = await sessions.create();
    await sessions.require(s.sessionId, false, undefined);
    await sessions.require(s.sessionId, true, s.csrfToken);
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return "none";
      } catch (err) {
        return (err as KilnError).code;
      }
    };
    assert.equal(await code(sessions.require(s.sessionId, true, undefined)), "CSRF_REJECTED");
    assert.equal(await code(sessions.require(s.sessionId, true, "wrong")), "CSRF_REJECTED");
    const other = await sessions.create();
    assert.equal(
      await code(sessions.require(s.sessionId, true, other.csrfToken)),
      "CSRF_REJECTED",
      "another session's token does not fit",
    );
    assert.equal(await code(sessions.require("nope", false, undefined)), "UNAUTHORIZED");
  });
});
