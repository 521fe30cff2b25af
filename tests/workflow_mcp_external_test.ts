import assert from "node:assert/strict";
// The 1.x package maps `./*` types to `*.js.d.ts`, which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
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

/** A Streamable HTTP MCP server on loopback (official SDK, stateless), with two tools. */
function reverseServer() {
  const handle = async (req: Request) => {
    // No standalone SSE stream (the spec lets a server refuse GET): a listen stream the client
    // opens in the background could outlive its close and hold up this server's shutdown.
    if (req.method === "GET") {
      return new Response(null, { status: 405, headers: { allow: "POST" } });
    }
    const server = new McpServer({ name: "reverse", version: "1.0.0" });
    server.registerTool("reverse", {
      description: "Reverses text",
      inputSchema: { text: z.string() },
      outputSchema: { reversed: z.string() },
    }, ({ text }) => {
      const reversed = [...text].reverse().join("");
      return { content: [{ type: "text", text: reversed }], structuredContent: { reversed } };
    });
    server.registerTool("refuse", { description: "Always fails" }, () => ({
      content: [{ type: "text", text: "no thanks" }],
      isError: true,
    }));
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    return await transport.handleRequest(req);
  };
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  return { url: `http://127.0.0.1:${http.addr.port}/mcp`, close: () => http.shutdown() };
}

const REVERSE = `workflowId: rev
startAt: flip
steps:
  flip:
    type: mcp
    target: { server: words, tool: reverse }
    inputMapping: { text: trigger.body.text }
    transitions: { onSuccess: refuse, onFailureDefault: broken }
  refuse:
    type: mcp
    target: { server: words, tool: refuse }
    transitions:
      onSuccess: broken
      onFailure:
        - condition: "step.output.error.code == 'MCP_TOOL_ERROR'"
          nextStep: answer
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { reversed: steps.flip.output.reversed, why: steps.refuse.output.error.message }
    end: true
  broken: { type: control, target: { subtype: fail, code: UNEXPECTED } }
`;

Deno.test("an mcp step calls a Streamable HTTP MCP server; its isError answers route as failures", async () => {
  const words = reverseServer();
  const t = await startKiln();
  try {
    const files = workflowApp("ext", { rev: REVERSE }, {
      configuration: { mcpServers: { words: { url: words.url } } },
    });
    assert.equal((await t.call("POST", "/v1/apps", { files })).status, 201);
    const start = await t.call("POST", "/v1/apps/ext/workflows/rev/runs", {
      input: { text: "kiln" },
    });
    const run = await pollRun(async () =>
      (await t.call("GET", `/v1/apps/ext/runs/${start.json.runId}`)).json
    );
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.equal(run.result.data.reversed, "nlik");
    assert.match(run.result.data.why, /tool "refuse" of MCP server "words" failed: no thanks/);
  } finally {
    await t.close();
    await words.close();
  }
});
