/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in deno.json)
 * run under Deno against a real Kiln. Only the generic server scenarios apply to Kiln; the others
 * call fixture tools, prompts and resources of the SDK's "everything" test server (ADR 0004).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import config from "../deno.json" with { type: "json" };
import { ADMIN_TOKEN } from "./_support/kiln.ts";
import { startMcpKiln } from "./_support/mcp.ts";

const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "logging-set-level",
  "dns-rebinding-protection",
];
const SUITE = config.imports["@modelcontextprotocol/conformance"];

Deno.test("the MCP conformance suite passes its generic server scenarios", async () => {
  const k = await startMcpKiln();
  // The suite cannot send a bearer token, so this loopback listener adds the admin token to each
  // request; Host, Origin and body reach the real Kiln handler unchanged.
  const withToken = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const headers = new Headers(req.headers);
    headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
    const body = req.method === "POST" ? await req.arrayBuffer() : undefined;
    return k.handler(new Request(req.url, { method: req.method, headers, body }));
  });
  const out = await Deno.makeTempDir({ prefix: "kiln-mcp-conformance-" });
  try {
    const url = `http://127.0.0.1:${withToken.addr.port}/mcp`;
    for (const scenario of SCENARIOS) {
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", SUITE, "server", "--url", url, "--scenario", scenario, "-o", out],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const printed = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 0, `${scenario} failed:\n${printed}`);
      const checks = await readChecks(out, scenario);
      assert.ok(checks.length > 0, `${scenario} ran no check:\n${printed}`);
      for (const check of checks) {
        assert.equal(check.status, "SUCCESS", `${scenario}/${check.id}: ${check.errorMessage}`);
      }
    }
  } finally {
    await withToken.shutdown();
    await k.close();
    await Deno.remove(out, { recursive: true });
  }
});

async function readChecks(
  out: string,
  scenario: string,
): Promise<{ id: string; status: string; errorMessage?: string }[]> {
  for await (const entry of Deno.readDir(out)) {
    if (entry.name.startsWith(`server-${scenario}-`)) {
      return JSON.parse(await Deno.readTextFile(join(out, entry.name, "checks.json")));
    }
  }
  throw new Error(`no results for ${scenario} in ${out}`);
}
