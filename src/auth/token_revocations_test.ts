import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { MemoryRevocations } from "./token_revocations.ts";

function clock() {
  const fake = FakeTimers.createClock(Date.UTC(2026, 0, 2));
  return { fake, clock: { now: () => fake.now } };
}

Deno.test("MemoryRevocations remembers a revoked id until its token would have expired", () => {
  const { fake, clock: c } = clock();
  const revocations = new MemoryRevocations({ clock: c });
  revocations.revoke("a", fake.now + 40_000);
  assert.equal(revocations.isRevoked("a"), true);
  assert.equal(revocations.isRevoked("b"), false);
  fake.tick(39_999);
  assert.equal(revocations.isRevoked("a"), true);
  fake.tick(2_000);
  assert.equal(revocations.isRevoked("a"), false);
  revocations.revoke("c", fake.now + 1_000);
  assert.equal(revocations.size, 1, "the expired entry was swept");
});

Deno.test("MemoryRevocations ignores tokens already expired and stays within its bound", () => {
  const { fake, clock: c } = clock();
  const revocations = new MemoryRevocations({ clock: c, max: 1_000 });
  revocations.revoke("old", fake.now - 1);
  assert.equal(revocations.size, 0);
  for (let i = 0; i < 5_000; i++) revocations.revoke(`t${i}`, fake.now + 1_000 + (i % 50) * 1_000);
  assert.ok(revocations.size <= 1_000, `${revocations.size} entries`);
  // The soonest-expiring groups went first; the latest revocation is still held.
  assert.equal(revocations.isRevoked("t4999"), true);
});

Deno.test("MemoryRevocations costs microseconds per revocation on the hot path", () => {
  const { fake, clock: c } = clock();
  const revocations = new MemoryRevocations({ clock: c });
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) {
    revocations.revoke(`id-${i}`, fake.now + 40_000);
    revocations.isRevoked(`id-${i}`);
  }
  const perCall = (performance.now() - started) * 1_000 / 100_000;
  assert.ok(perCall < 20, `${perCall.toFixed(2)} µs per revoke + check`);
});
