import assert from "node:assert/strict";
import { spawnServer } from "./_support/process.ts";
import { hasRedisServer, startOwnRedis } from "./_support/redis_server.ts";
import { requireService } from "./_support/services.ts";
import { workflowApp } from "./_support/workflow.ts";

const TOKEN = "blip-test-token-0123456789abcdef";
const { ignore } = await requireService("redis", hasRedisServer, "redis-server on the PATH");

// A charge that must happen once, then waits whose checkpoints fall into the outage.
const WAITS = 8;
const WORKFLOW = `workflowId: slow
startAt: charge
steps:
  charge:
    type: mcp
    target: { tool: core.state.incrementRuntimeValue }
    inputMapping: { key: "'charged'" }
    safeToRepeat: false
    transitions: [{ nextStep: w1 }]
${
  Array.from({ length: WAITS }, (_, i) =>
    `  w${i + 1}:
    type: control
    target: { subtype: wait, durationMs: 700 }
    transitions: [{ nextStep: ${i + 1 < WAITS ? `w${i + 2}` : "answer"} }]`).join("\n")
}
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { i: trigger.body.i, charged: steps.charge.output.value }
    end: true
`;

Deno.test({
  name: "single node on Redis: runs whose checkpoints fail while Redis is gone 8 s all finish",
  ignore,
  async fn() {
    const redis = await startOwnRedis();
    const dataDir = await Deno.makeTempDir({ prefix: "kiln-blip-" });
    const server = await spawnServer(
      ["--port", "0", "--data-dir", dataDir, "--no-example", "--store", redis.url],
      { env: { KILN_ADMIN_TOKEN: TOKEN, KILN_CONTAINERS: "off" } },
    );
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    try {
      const reg = await call("POST", "/v1/apps", {
        files: workflowApp("blip", { slow: WORKFLOW }),
      });
      assert.equal(reg.status, 201, JSON.stringify(reg.json));
      const runIds: string[] = [];
      for (let i = 0; i < 30; i++) {
        const start = await call("POST", "/v1/apps/blip/workflows/slow/runs", { input: { i } });
        assert.equal(start.status, 202, JSON.stringify(start.json));
        runIds.push(start.json.runId);
      }
      await new Promise((r) => setTimeout(r, 500));
      await redis.kill();
      // While Redis is gone, reads that need it fail fast and clearly.
      const t0 = Date.now();
      const during = await call("GET", `/v1/apps/blip/runs/${runIds[0]}`);
      assert.equal(during.status, 503, JSON.stringify(during.json));
      assert.equal(during.json.error.code, "UNAVAILABLE");
      assert.ok(Date.now() - t0 < 2_000, "a read answers 503 at once");
      await new Promise((r) => setTimeout(r, 8_000 - (Date.now() - t0)));
      await redis.start();

      const deadline = Date.now() + 30_000;
      const left = new Set(runIds);
      const done = new Map<string, { status: string; result: { data: unknown } }>();
      while (left.size > 0 && Date.now() < deadline) {
        for (const runId of [...left]) {
          const got = await call("GET", `/v1/apps/blip/runs/${runId}`);
          if (got.status === 200 && got.json.status !== "running") {
            left.delete(runId);
            done.set(runId, got.json);
          }
        }
        if (left.size > 0) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(left.size, 0, `${left.size} of 30 runs stayed running`);
      const charged = new Set<number>();
      runIds.forEach((runId, i) => {
        const run = done.get(runId)!;
        assert.equal(run.status, "succeeded", JSON.stringify(run));
        const data = run.result.data as { i: number; charged: number };
        assert.equal(data.i, i);
        charged.add(data.charged);
      });
      assert.equal(charged.size, 30, "each run charged once, with its own count");
      const count = await call("GET", "/v1/apps/blip/runtime/charged");
      assert.equal(count.json.value, 30);
    } finally {
      await server.stop();
      await redis.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
