import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { DELTA_EVENT_CHARS, DELTA_FLUSH_MS, StepDeltas } from "./_deltas.ts";
import type { Timers } from "./_timers.ts";
import type { RunEvent } from "./types.ts";

function setup(maxChars?: number) {
  const clock = FakeTimers.withGlobal(globalThis).createClock(0);
  const timers: Timers = {
    now: () => clock.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (h) => clock.clearTimeout(h as ReturnType<typeof clock.setTimeout>),
    random: () => 0.5,
  };
  const events: RunEvent[] = [];
  const deltas = new StepDeltas(
    { runId: "r1", stepId: "classify" },
    timers,
    (e) => events.push(e),
    maxChars,
  );
  const push = (text: string, attempt = 1) => deltas.listener({ text, attempt, recording: false });
  return { clock, events, deltas, push };
}

Deno.test("StepDeltas coalesces pieces into one step.delta per flush interval", () => {
  const { clock, events, deltas, push } = setup();
  for (const piece of ["a", "b", "c"]) push(piece);
  assert.equal(events.length, 0, "nothing before the interval");
  clock.tick(DELTA_FLUSH_MS);
  assert.deepEqual(events, [{
    type: "step.delta",
    runId: "r1",
    stepId: "classify",
    status: "running",
    at: DELTA_FLUSH_MS,
    text: "abc",
  }]);
  push("d");
  push("x".repeat(DELTA_EVENT_CHARS));
  assert.equal(events.length, 2, "a full event goes out at once");
  push("e", 2);
  deltas.close();
  assert.deepEqual(events.slice(2).map((e) => [e.text, e.llmAttempt]), [["e", 2]]);
  push("late");
  clock.tick(DELTA_FLUSH_MS);
  assert.equal(events.length, 3, "nothing after close");
});

Deno.test("StepDeltas stops at its cap with one truncated event", () => {
  const { events, deltas, push } = setup(10);
  push("12345");
  push("67890abc");
  push("more");
  deltas.close();
  assert.deepEqual(events.map((e) => [e.text, e.truncated]), [
    ["1234567890", undefined],
    ["", true],
  ]);
});
