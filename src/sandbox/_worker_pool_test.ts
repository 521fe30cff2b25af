import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { WorkerPool } from "./_worker_pool.ts";

class Member {
  dead = false;
  terminate(): void {
    this.dead = true;
  }
}

Deno.test("WorkerPool reports a failed start for a while, then lets the next execution retry", async () => {
  const clock = FakeTimers.install({ toFake: ["performance", "setTimeout", "clearTimeout"] });
  try {
    let fail = true;
    let spawns = 0;
    const pool = new WorkerPool<Member>({
      tier: "wasm",
      what: "QuickJS",
      size: 1,
      maxQueue: 4,
      queueTimeoutMs: 1_000,
      spawn:
        () => (spawns++,
          fail ? Promise.reject(new Error("did not load")) : Promise.resolve(new Member())),
    });
    await assert.rejects(pool.acquire(), /cannot start QuickJS: did not load/);
    assert.equal(pool.spawnError, "did not load");
    await clock.tickAsync(2_500);
    assert.equal(pool.spawnError, null, "the refusal ends so that the tier is tried again");
    fail = false;
    const member = await pool.acquire();
    assert.equal(spawns, 2);
    pool.release(member);
    pool.close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("WorkerPool shares a busy member only with the first in line, and only as the tier allows", async () => {
  const members: Member[] = [];
  const pool = new WorkerPool<Member>({
    tier: "wasm",
    what: "QuickJS",
    size: 1,
    maxQueue: 8,
    queueTimeoutMs: 5_000,
    spawn: () => Promise.resolve(members[members.push(new Member()) - 1]),
    share: (_member, held, ticket) => held === ticket && ticket !== "never",
  });
  const settled = new Set<string>();
  const take = (ticket: string, name = ticket) =>
    pool.acquire(undefined, ticket).then((m) => (settled.add(name), m));
  const turn = () => new Promise((r) => setTimeout(r, 0));

  const a1 = await take("a", "a1");
  // Nobody waits: a second execution of the same ticket shares the busy member at once.
  const a2 = await take("a", "a2");
  assert.equal(a2, a1);
  // Two holders are the most: a third waits, as does anyone of another ticket.
  const a3 = take("a", "a3");
  const b1 = take("b", "b1");
  await turn();
  assert.deepEqual([...settled], ["a1", "a2"]);
  // One holder gone: the first in line (a3) may share, and takes the freed place.
  pool.release(a1);
  assert.equal(await a3, a1);
  // The next in line is b1, of another ticket: it waits for the member to be free.
  pool.release(a1);
  const a4 = take("a", "a4");
  await turn();
  assert.equal(settled.has("b1"), false);
  assert.equal(settled.has("a4"), false, "a4 does not overtake b1, who is first in line");
  pool.release(a1);
  assert.equal(await b1, a1);
  // b1 holds it now; a4 is first in line and of another ticket: it waits for b1.
  await turn();
  assert.equal(settled.has("a4"), false);
  pool.release(a1);
  assert.equal(await a4, a1);
  assert.equal(pool.stats().busy, 1);
  pool.release(a1);
  assert.deepEqual(pool.stats(), { live: 1, busy: 0, queued: 0 });
  // A ticket the tier refuses to share never does.
  const n1 = await take("never", "n1");
  const n2 = take("never", "n2");
  await turn();
  assert.equal(settled.has("n2"), false);
  pool.release(n1);
  pool.release(await n2);
  assert.equal(members.length, 1);
  pool.close();
});

/** A fair pool of two members on fake time: `take(tenant)` acquires for it and says when served. */
async function fairPool(
  fn: (
    take: (tenant: string) => { served: () => Member | undefined; member: Promise<Member> },
    pool: WorkerPool<Member>,
    clock: ReturnType<typeof FakeTimers.install>,
  ) => Promise<void>,
) {
  const clock = FakeTimers.install({ toFake: ["performance", "setTimeout", "clearTimeout"] });
  const pool = new WorkerPool<Member>({
    tier: "wasm",
    what: "QuickJS",
    size: 2,
    maxQueue: 8,
    queueTimeoutMs: 60_000,
    spawn: () => Promise.resolve(new Member()),
    longRunMs: 50,
  });
  try {
    pool.warm();
    await clock.tickAsync(0);
    await fn(
      (tenant) => {
        let got: Member | undefined;
        const member = pool.acquire(undefined, undefined, tenant).then((m) => (got = m));
        member.catch(() => {}); // those still waiting are refused when the pool closes
        return { served: () => got, member };
      },
      pool,
      clock,
    );
  } finally {
    pool.close();
    clock.uninstall();
  }
}

Deno.test("WorkerPool (fair): an app with short runs uses every member", async () => {
  await fairPool(async (take, pool, clock) => {
    const first = take("a");
    await clock.tickAsync(1);
    pool.release(await first.member);
    // Known short now: two at once get both members.
    const [x, y] = [take("a"), take("a")];
    await clock.tickAsync(0);
    assert.ok(x.served() && y.served() && x.served() !== y.served());
  });
});

Deno.test("WorkerPool (fair): an app not known short, or with a run held past longRunMs, leaves the last member to another app", async () => {
  await fairPool(async (take, pool, clock) => {
    // Unknown: its second execution waits while one member is free.
    const a1 = take("a"), a2 = take("a");
    await clock.tickAsync(0);
    assert.ok(a1.served() && !a2.served());
    const b = take("b");
    await clock.tickAsync(0);
    assert.ok(b.served(), "another app takes the last member at once");
    // Short once a run ended quickly: a2 gets the member b gives back.
    pool.release(await a1.member);
    pool.release(await b.member);
    await clock.tickAsync(0);
    assert.ok(a2.served());
    // a2 now runs past longRunMs: the app's next execution waits for the other app's sake.
    await clock.tickAsync(60);
    const a3 = take("a");
    await clock.tickAsync(0);
    assert.ok(!a3.served(), "a run in flight past longRunMs makes the app long");
    pool.release(await a2.member);
    await clock.tickAsync(0);
    assert.ok(a3.served(), "with both members free it takes one");
  });
});

Deno.test("WorkerPool (fair): a member that comes free goes to the app holding the fewest", async () => {
  await fairPool(async (take, pool, clock) => {
    const warm = take("a");
    await clock.tickAsync(1);
    pool.release(await warm.member);
    const held = [take("a"), take("a")];
    await clock.tickAsync(0);
    // In line: two of a's, then b's.
    const line = [take("a"), take("a"), take("b")];
    await clock.tickAsync(1);
    pool.release(await held[0].member);
    await clock.tickAsync(0);
    assert.deepEqual(line.map((t) => !!t.served()), [false, false, true]);
    pool.release(await held[1].member);
    await clock.tickAsync(0);
    assert.deepEqual(line.map((t) => !!t.served()), [true, false, true], "then a's, in order");
  });
});
