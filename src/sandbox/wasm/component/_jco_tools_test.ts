import assert from "node:assert/strict";
import { KilnError } from "../../../core/mod.ts";
import { JcoToolError, JcoTools } from "./_jco_tools.ts";

/**
 * A stand-in worker speaking the jco protocol: it answers a job with the byte length, after
 * spinning (synchronously, as jco's wasm does) for as many ms as the first byte says, and refuses
 * an empty job as a tool would.
 */
const STAND_IN = `data:text/javascript,${
  encodeURIComponent(`
  self.onmessage = ({ data: job }) => {
    if (job.bytes.length === 0) return self.postMessage({ id: job.id, ok: false, error: "empty" });
    const until = Date.now() + job.bytes[0] * 10;
    while (Date.now() < until) {}
    self.postMessage({ id: job.id, ok: true, value: job.bytes.length });
  };
  self.postMessage({ ready: true });
`)
}`;

const job = (tensOfMs: number, length = 3) => new Uint8Array(length).fill(tensOfMs, 0, 1);

Deno.test("JcoTools fails only the job past its deadline; the queue goes on on a fresh worker", async () => {
  const tools = new JcoTools({ workerUrl: STAND_IN, deadlineMs: 1_500, idleMs: 10 });
  try {
    // Each queued job would fit its deadline alone, but not behind the slow one if the deadline
    // counted from queueing: it counts from hand-over.
    const results = await Promise.allSettled([
      tools.wit(job(100, 1)), // 1 s: fits
      tools.wit(job(100, 2)), // 1 s: fits, though it ends 2 s after it was queued
      tools.wit(job(250, 3)), // 2.5 s: past the deadline
      tools.wit(job(0, 4)),
    ]);
    assert.deepEqual(results[0], { status: "fulfilled", value: 1 });
    assert.deepEqual(results[1], { status: "fulfilled", value: 2 });
    assert.equal(results[2].status, "rejected");
    const late = (results[2] as PromiseRejectedResult).reason;
    assert.ok(late instanceof KilnError && late.code === "COMPONENT_BUILD_FAILED", String(late));
    assert.equal((late.details as { limit?: string }).limit, "component.compileMs");
    assert.deepEqual(results[3], { status: "fulfilled", value: 4 }, "the job behind it still ran");
  } finally {
    tools.close();
  }
});

Deno.test("JcoTools gives a tool's refusal as JcoToolError and a worker that cannot start as UNAVAILABLE", async () => {
  const tools = new JcoTools({ workerUrl: STAND_IN, idleMs: 10 });
  try {
    await assert.rejects(tools.wit(new Uint8Array()), (e) => e instanceof JcoToolError);
  } finally {
    tools.close();
  }
  const broken = new JcoTools({
    workerUrl: `data:text/javascript,${encodeURIComponent("throw new Error('no jco here');")}`,
  });
  const both = await Promise.allSettled([broken.wit(job(0)), broken.wit(job(0))]);
  for (const r of both) {
    assert.equal(r.status, "rejected");
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof KilnError && err.code === "UNAVAILABLE", String(err));
    assert.match(err.message, /no jco here/);
  }
});
