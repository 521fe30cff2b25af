import assert from "node:assert/strict";
import { SandboxTimeoutError, silentLogger } from "../core/mod.ts";
import type { MetricLabels, MetricSink } from "../metrics/mod.ts";
import { SandboxManager } from "./manager.ts";
import { DEFAULT_LIMITS, type ExecutionJob, type TierDriver } from "./tier.ts";
import { executeRequest, RecordingHost } from "./tier_common_case.ts";

class Sink implements MetricSink {
  readonly points: [string, string, number, MetricLabels][] = [];
  add(name: string, value: number, labels: MetricLabels) {
    this.points.push(["add", name, value, labels]);
  }
  gauge(name: string, value: number, labels: MetricLabels) {
    this.points.push(["gauge", name, value, labels]);
  }
  observe(name: string, value: number, labels: MetricLabels) {
    this.points.push(["observe", name, value, labels]);
  }
}

function tier(answer: (job: ExecutionJob) => Promise<"generic" | "error">): TierDriver {
  return {
    name: "wasm",
    accepts: { javascript: "iife" },
    reuse: "none",
    unavailableReason: () => null,
    execute: async (job) => ({
      requestId: job.request.requestId,
      resultType: await answer(job),
      data: null,
      metrics: { execution_time_ms: 1, mcp_calls: [] },
    }),
    stats: () => ({ live: 2, busy: 0, queued: 0, kills: {} }),
    close: () => Promise.resolve(),
  };
}

Deno.test("the sandbox manager counts executions by outcome, times them and gauges live sandboxes", async () => {
  const sink = new Sink();
  const answers = ["generic", "error", "timeout"];
  const manager = new SandboxManager(
    [tier(() => {
      const a = answers.shift();
      if (a === "timeout") return Promise.reject(new SandboxTimeoutError("too slow"));
      return Promise.resolve(a as "generic" | "error");
    })],
    silentLogger,
    sink,
  );
  const job = (): ExecutionJob => ({
    request: { ...executeRequest("shop"), taskDetails: { targetPoolName: "fast" } },
    code: { kind: "javascript", format: "iife", source: "", entry: "f", hash: "h" },
    limits: DEFAULT_LIMITS,
    host: new RecordingHost(),
  });
  await manager.execute("wasm", job());
  await manager.execute("wasm", job());
  await assert.rejects(manager.execute("wasm", job()));
  const counted = sink.points.filter(([, name]) => name === "kiln.sandbox.executions");
  assert.deepEqual(counted.map(([, , , l]) => l.outcome), ["ok", "app_error", "timeout"]);
  assert.deepEqual(counted[0][3], { appId: "shop", tier: "wasm", poolName: "fast", outcome: "ok" });
  const timed = sink.points.filter(([, name]) => name === "kiln.sandbox.execution.duration_ms");
  assert.equal(timed.length, 3);
  assert.ok(timed.every(([kind, , ms]) => kind === "observe" && ms >= 0));
  const gauges = sink.points.filter(([kind]) => kind === "gauge");
  assert.equal(gauges.length, 1, "the live count is sampled once for a burst, not per execution");
  assert.deepEqual(gauges[0], [
    "gauge",
    "kiln.sandbox.instances",
    2,
    { tier: "wasm" },
  ]);
});
