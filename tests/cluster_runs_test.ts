/**
 * Workflow runs in a cluster of `kiln serve --cluster` nodes on a Redis the test owns: a node
 * killed with -9 loses its run leases and the survivors take its runs over from their last
 * checkpoints (non-repeatable steps at most once); Redis stopped for 10 s under load answers
 * clear 503s, and no run is left running once it is back.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { type ServerProcess, spawnServer } from "./_support/process.ts";
import {
  freePorts,
  hasCommand,
  hasRedisServer,
  type OwnRedis,
  startOwnRedis,
} from "./_support/redis_server.ts";
import { haproxyUp, startHaproxy } from "./_support/haproxy.ts";
import { requireService } from "./_support/services.ts";
import { billingWorkflow, workflowApp } from "./_support/workflow.ts";

const TOKEN = "cluster-runs-token-0123456789abcdef";
const redisOk = await requireService("redis", hasRedisServer, "redis-server on the PATH");
const haproxyOk = await requireService("haproxy", () => hasCommand("haproxy"));
const ignore = redisOk.ignore || haproxyOk.ignore;

const BILLING = billingWorkflow(
  6000,
  "answer",
  `  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping:
      i: trigger.body.i
      charged: steps.charge.output.value
      receipts: steps.receipt.output.value
    end: true
`,
);

const PATIENT = `workflowId: patient
startAt: w1
steps:
${
  Array.from({ length: 6 }, (_, i) =>
    `  w${i + 1}:
    type: control
    target: { subtype: wait, durationMs: 1000 }
    transitions: [{ nextStep: ${i < 5 ? `w${i + 2}` : "answer"} }]`).join("\n")
}
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { i: trigger.body.i }
    end: true
`;

// deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
type Json = any;

interface Node {
  id: string;
  dataDir: string;
  server: ServerProcess;
}

async function call(node: Node, method: string, path: string, body?: unknown) {
  const res = await fetch(`${node.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() as Json };
}

function startNode(redis: OwnRedis, id: string, dataDir: string): Promise<ServerProcess> {
  return spawnServer(
    ["--port", "0", "--data-dir", dataDir, "--no-example", "--cluster", redis.url, "--node-id", id],
    { env: { KILN_ADMIN_TOKEN: TOKEN, KILN_CONTAINERS: "off" } },
  );
}

/** Polls every run through `node` until none is running; answers the final records. */
async function settle(node: Node, runIds: string[], timeoutMs: number): Promise<Json[]> {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, Json>();
  while (done.size < runIds.length && Date.now() < deadline) {
    for (const runId of runIds) {
      if (done.has(runId)) continue;
      const got = await call(node, "GET", `/v1/apps/pay/runs/${runId}`);
      if (got.status === 200 && got.json.status !== "running") done.set(runId, got.json);
    }
    if (done.size < runIds.length) await new Promise((r) => setTimeout(r, 100));
  }
  const left = runIds.filter((id) => !done.has(id));
  assert.equal(left.length, 0, `${left.length} runs stayed running: ${left.join(", ")}`);
  return runIds.map((id) => done.get(id));
}

Deno.test({
  name: "cluster: a killed node's runs finish on the survivors; a Redis outage leaves none behind",
  ignore,
  async fn() {
    const redis = await startOwnRedis();
    const nodes: Node[] = [];
    const lbDir = await Deno.makeTempDir({ prefix: "kiln-lb-" });
    let lb: Deno.ChildProcess | undefined;
    const client = createClient({ url: redis.url });
    client.on("error", () => {});
    try {
      for (const id of ["a", "b", "c"]) {
        nodes.push({ id, dataDir: await Deno.makeTempDir({ prefix: `kiln-${id}-` }) } as Node);
      }
      const [a] = nodes;
      a.server = await startNode(redis, "a", a.dataDir);
      const files = workflowApp("pay", { billing: BILLING, patient: PATIENT });
      const reg = await call(a, "POST", "/v1/apps", { files });
      assert.equal(reg.status, 201, JSON.stringify(reg.json));
      await Promise.all(
        nodes.slice(1).map(async (n) => {
          n.server = await startNode(redis, n.id, n.dataDir);
        }),
      );
      // Nodes started later fetch the app from the cluster.
      for (const node of nodes.slice(1)) {
        const until = Date.now() + 15_000;
        while ((await call(node, "GET", "/v1/apps/pay")).json?.status !== "ACTIVE") {
          assert.ok(Date.now() < until, `node ${node.id} serves the app`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }

      // 30 runs started through HAProxy (docs/cluster.md's configuration), one at a time so
      // round robin spreads them over the three nodes.
      const [lbPort] = freePorts(1);
      lb = await startHaproxy(lbDir, lbPort, nodes.map((n) => Number(new URL(n.server.url).port)));
      const until = Date.now() + 15_000;
      while ((await haproxyUp(lbDir)) < 3) {
        assert.ok(Date.now() < until, "HAProxy sees the three nodes up");
        await new Promise((r) => setTimeout(r, 100));
      }
      const runIds: string[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await fetch(`http://127.0.0.1:${lbPort}/v1/apps/pay/workflows/billing/runs`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ input: { i } }),
        });
        const start = await res.json() as Json;
        assert.equal(res.status, 202, JSON.stringify(start));
        runIds.push(start.runId);
      }
      // Every run charged and waiting: kill -9 the node holding the most leases.
      for (const runId of runIds) {
        const until = Date.now() + 15_000;
        for (;;) {
          const got = await call(nodes[1], "GET", `/v1/apps/pay/runs/${runId}`);
          if (got.json.inFlight?.stepId === "settle") break;
          assert.ok(Date.now() < until, `run ${runId} never reached settle`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await client.connect();
      const owners = await Promise.all(
        runIds.map((id) => client.get(`kiln:cluster:{run:${id}}:lease`)),
      );
      const held = new Map<string, number>();
      for (const owner of owners) {
        assert.ok(owner, "every running run is leased");
        held.set(owner, (held.get(owner) ?? 0) + 1);
      }
      const victimId = [...held].sort((x, y) => y[1] - x[1])[0][0];
      const victim = nodes.find((n) => n.id === victimId)!;
      const orphaned = runIds.filter((_, i) => owners[i] === victimId);
      assert.ok(orphaned.length >= 10, `the victim held ${orphaned.length} of 30 runs`);
      const killedAt = Date.now();
      assert.equal((await victim.server.kill("SIGKILL")).signal, "SIGKILL");
      const survivors = nodes.filter((n) => n !== victim);

      const runs = await settle(survivors[0], runIds, 30_000);
      const charged = new Set<number>();
      runs.forEach((run, i) => {
        assert.equal(run.status, "succeeded", JSON.stringify(run));
        assert.equal(run.result.data.i, i);
        assert.equal(run.result.data.charged, run.outputs.charge.value);
        charged.add(run.result.data.charged);
        assert.deepEqual(run.trace.map((e: Json) => e.stepId), [
          "charge",
          "settle",
          "receipt",
          "answer",
        ]);
      });
      assert.equal(charged.size, 30);
      for (const key of ["charged", "receipts"]) {
        const value = await call(survivors[1], "GET", `/v1/apps/pay/runtime/${key}`);
        assert.equal(value.json.value, 30, `${key}: each non-repeatable step ran exactly once`);
      }
      const resumedAfter = orphaned.map((id) => {
        const run = runs[runIds.indexOf(id)];
        return run.trace[2].startedAt - killedAt;
      });
      const slowest = Math.max(...resumedAfter);
      console.log(`orphaned runs resumed ${Math.min(...resumedAfter)}-${slowest} ms after kill -9`);
      assert.ok(slowest < 10_000, `a run resumed ${slowest} ms after its node died`);

      // Metrics stay per node; scope=cluster asks every node that is up.
      const q = "/v1/metrics/query?name=kiln.mcp.calls&appId=pay&groupBy=appId";
      const wide = await call(survivors[0], "GET", `${q}&scope=cluster`);
      assert.equal(wide.status, 200, JSON.stringify(wide.json));
      assert.deepEqual(
        wide.json.nodes.map((n: Json) => [n.nodeId, n.ok]).sort(),
        survivors.map((n) => [n.id, true]).sort(),
      );
      const total = (series: Json[]) =>
        series.reduce((sum, s) => sum + s.points.reduce((t: number, p: Json) => t + p.sum, 0), 0);
      assert.deepEqual(
        [...new Set(wide.json.series.map((s: Json) => s.node))].sort(),
        survivors.map((n) => n.id).sort(),
      );
      const own = await call(survivors[0], "GET", q);
      assert.ok(total(wide.json.series) > total(own.json.series), "other nodes' calls count too");

      // Redis stopped for 10 s with runs in flight on both survivors.
      const patient: string[] = [];
      for (let i = 0; i < 10; i++) {
        const start = await call(survivors[i % 2], "POST", "/v1/apps/pay/workflows/patient/runs", {
          input: { i },
        });
        assert.equal(start.status, 202, JSON.stringify(start.json));
        patient.push(start.json.runId);
      }
      await new Promise((r) => setTimeout(r, 1500));
      await redis.kill();
      const outage = Date.now();
      let refused = 0;
      while (Date.now() - outage < 10_000) {
        for (const node of survivors) {
          const t0 = Date.now();
          const res = await call(node, "POST", "/v1/apps/pay/workflows/patient/runs", {
            input: {},
          });
          assert.equal(res.status, 503, JSON.stringify(res.json));
          assert.equal(res.json.error.code, "UNAVAILABLE");
          assert.ok(
            Date.now() - t0 < 2_500,
            `a start during the outage took ${Date.now() - t0} ms`,
          );
          refused++;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      await redis.start();
      const back = Date.now();
      const after = await settle(survivors[0], patient, 30_000);
      after.forEach((run, i) => {
        assert.equal(run.status, "succeeded", JSON.stringify(run));
        assert.equal(run.result.data.i, i);
      });
      console.log(
        `Redis outage: ${refused} starts answered 503; runs all done ${
          Date.now() - back
        } ms after it returned`,
      );
    } finally {
      if (lb) {
        lb.kill("SIGKILL");
        await lb.status;
      }
      await Deno.remove(lbDir, { recursive: true }).catch(() => {});
      if (client.isOpen) await client.close().catch(() => client.destroy());
      for (const node of nodes) {
        await node.server?.stop().catch(() => {});
        await Deno.remove(node.dataDir, { recursive: true }).catch(() => {});
      }
      await redis.close();
    }
  },
});
