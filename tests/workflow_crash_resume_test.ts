import assert from "node:assert/strict";
import { spawnServer } from "./_support/process.ts";
import { billingWorkflow, pollRun, workflowApp } from "./_support/workflow.ts";

const TOKEN = "crash-test-token-0123456789abcdef";

const WORKFLOW = billingWorkflow(
  3000,
  "words",
  `  words:
    type: jit
    target: { language: typescript, script: code/receipt.ts, function: receipt }
    inputMapping: { n: steps.receipt.output.value }
    transitions: [{ nextStep: answer }]
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping:
      charged: steps.charge.output.value
      receipts: steps.receipt.output.value
      text: steps.words.output.text
    end: true
`,
);

const COMPONENTS = `components:
  - componentId: receipt
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/receipt.ts, function: receipt, language: typescript }
`;
const RECEIPT = `export function receipt(req: { input: { n: number } }) {
  return { text: "receipt #" + req.input.n };
}
`;

Deno.test("kill -9 mid-run: after a restart the run completes, each non-repeatable step once", async () => {
  // mcp (core tools), control (wait) and a jit step on the isolate tier of `kiln serve`.
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-crash-" });
  const args = ["--port", "0", "--data-dir", dataDir, "--no-example"];
  const env = { KILN_ADMIN_TOKEN: TOKEN };
  let server = await spawnServer(args, { env });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  try {
    const files = workflowApp("pay", { billing: WORKFLOW }, {
      components: COMPONENTS,
      code: { "code/receipt.ts": RECEIPT },
    });
    const reg = await call("POST", "/v1/apps", { files });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const start = await call("POST", "/v1/apps/pay/workflows/billing/runs", { input: {} });
    assert.equal(start.status, 202, JSON.stringify(start.json));
    const runPath = `/v1/apps/pay/runs/${start.json.runId}`;
    const mid = await pollRun(
      async () => (await call("GET", runPath)).json,
      (run) => run.inFlight?.stepId === "settle",
    );
    assert.deepEqual(mid.outputs.charge, { value: 1 });

    const killed = await server.kill("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    server = await spawnServer(args, { env });

    const run = await pollRun(async () => (await call("GET", runPath)).json);
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.result.data, { charged: 1, receipts: 1, text: "receipt #1" });
    for (const key of ["charged", "receipts"]) {
      const value = await call("GET", `/v1/apps/pay/runtime/${key}`);
      assert.equal(value.json.value, 1, `${key} ran exactly once`);
    }
    const steps = run.trace.map((e: { stepId: string }) => e.stepId);
    assert.deepEqual(steps, ["charge", "settle", "receipt", "words", "answer"]);
    const settle = run.trace[1];
    assert.ok(settle.endedAt - settle.startedAt >= 3000, "the wait kept its deadline");
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
