import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Deadlines } from "./_deadlines.ts";

function withClock(fn: (clock: ReturnType<typeof FakeTimers.install>) => void): void {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    fn(clock);
  } finally {
    clock.uninstall();
  }
}

Deno.test("Deadlines fires each deadline when it is due, on one timer", () => {
  withClock((clock) => {
    const d = new Deadlines();
    const fired: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    d.set(a, 100, () => fired.push("a"));
    d.set(b, 300, () => fired.push("b"));
    d.set(c, 50, () => fired.push("c"));
    assert.equal(clock.countTimers(), 1, "one timer for every deadline");
    clock.tick(60);
    assert.deepEqual(fired, ["c"]);
    clock.tick(50);
    assert.deepEqual(fired, ["c", "a"]);
    clock.tick(200);
    assert.deepEqual(fired, ["c", "a", "b"]);
    assert.equal(d.size, 0);
    assert.equal(clock.countTimers(), 0);
  });
});

Deno.test("Deadlines never fires a cleared deadline and holds no timer once nothing is watched", () => {
  withClock((clock) => {
    const d = new Deadlines();
    const fired: string[] = [];
    const [a, b] = [{}, {}];
    d.set(a, 100, () => fired.push("a"));
    d.set(b, 200, () => fired.push("b"));
    d.clear(a);
    assert.equal(clock.countTimers(), 1, "an ended deadline only is forgotten");
    clock.tick(150);
    assert.deepEqual(fired, [], "the timer fired early for a and re-armed for b");
    d.clear(b);
    assert.equal(clock.countTimers(), 0, "nothing watched: no timer");
    clock.tick(1000);
    assert.deepEqual(fired, []);
  });
});

Deno.test("Deadlines: setting a key again replaces its deadline", () => {
  withClock((clock) => {
    const d = new Deadlines();
    const fired: string[] = [];
    const key = {};
    d.set(key, 100, () => fired.push("first"));
    d.set(key, 500, () => fired.push("second"));
    clock.tick(200);
    assert.deepEqual(fired, [], "the earlier deadline of the key is gone");
    clock.tick(400);
    assert.deepEqual(fired, ["second"]);
  });
});
