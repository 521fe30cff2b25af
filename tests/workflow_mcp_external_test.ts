import assert from "node:assert/strict";
import { startKiln } from "./_support/kiln.ts";
import { pollRun, workflowApp } from "./_support/workflow.ts";

const EVERYTHING = "npm:@modelcontextprotocol/server-everything@2026.8.31";

const WORKFLOW = `workflowId: sums
startAt: add
steps:
  add:
    type: mcp
    target: { server: everything, tool: get-sum }
    inputMapping: { a: trigger.body.a, b: trigger.body.b }
    timeoutMs: 20000
    transitions: [{ nextStep: echo }]
  echo:
    type: mcp
    target: { server: everything, tool: echo }
    inputMapping:
      message: "'sum ' + steps.add.output.content[0].text"
    transitions: [{ nextStep: keep }]
  keep:
    type: mcp
    target: { tool: core.state.setRuntimeValue }
    inputMapping:
      key: "'lastSum'"
      value: "steps.echo.output.content[0].text"
    transitions: [{ nextStep: answer }]
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping:
      echoed: "steps.echo.output.content[0].text"
    end: true
`;

Deno.test("an mcp step calls an external stdio MCP server (server-everything) and a core tool", async () => {
  const t = await startKiln({ workflows: { mcpCommands: [Deno.execPath()] } });
  try {
    const files = workflowApp("ext", { sums: WORKFLOW }, {
      configuration: {
        mcpServers: {
          everything: { command: Deno.execPath(), args: ["run", "-A", EVERYTHING, "stdio"] },
        },
      },
    });
    const reg = await t.call("POST", "/v1/apps", { files });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const start = await t.call("POST", "/v1/apps/ext/workflows/sums/runs", {
      input: { a: 2, b: 40 },
    });
    assert.equal(start.status, 202, JSON.stringify(start.json));
    const run = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/ext/runs/${start.json.runId}`)).json
    );
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.match(run.result.data.echoed, /^Echo: sum .*42/);
    const kept = await t.call("GET", "/v1/apps/ext/runtime/lastSum");
    assert.equal(kept.json.value, run.result.data.echoed);
  } finally {
    await t.close();
  }
});

Deno.test("a stdio MCP server command the operator did not allow is refused", async () => {
  const t = await startKiln();
  try {
    const files = workflowApp("ext", { sums: WORKFLOW }, {
      configuration: { mcpServers: { everything: { command: "/bin/sh", args: ["-c", "true"] } } },
    });
    assert.equal((await t.call("POST", "/v1/apps", { files })).status, 201);
    const start = await t.call("POST", "/v1/apps/ext/workflows/sums/runs", {
      input: { a: 1, b: 1 },
    });
    const run = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/ext/runs/${start.json.runId}`)).json
    );
    assert.equal(run.status, "failed");
    assert.equal(run.error.code, "FORBIDDEN");
    assert.equal(run.error.stepId, "add");
    assert.match(run.error.message, /not allowed MCP server command "\/bin\/sh"/);
  } finally {
    await t.close();
  }
});
