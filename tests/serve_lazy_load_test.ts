import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { spawnServer } from "./_support/process.ts";
import { bystanderApp } from "./_support/attack.ts";
import { connectV1 } from "./_support/mcp_clients.ts";

const ROOT = new URL("../", import.meta.url);
const TOKEN = "lazy-load-admin-token-0123456789abcdef";

/**
 * What `kiln serve` must not load before it listens (ADR 0025, 0029, 0032): npm packages, Node
 * built-ins and Kiln folders that only some requests need. Matched against the static import graph's specifiers.
 */
const LAZY = [
  "@marcbachmann/cel-js",
  "@hono/zod-openapi",
  "esbuild-wasm",
  "isomorphic-git",
  "/redis@",
  "/dockerode@",
  "@modelcontextprotocol",
  "tar-stream",
  "/pako@",
  "/yaml@",
  "/ajv@",
  "/re2js@",
  // Node's heavier built-ins bring up most of Deno's Node layer (ADR 0032); the OTel API only
  // loads when tracing is on.
  "node:crypto",
  "node:zlib",
  "node:fs",
  "node:child_process",
  "node:process",
  "node:timers",
  "@opentelemetry/api",
  "/src/workflow/",
  // The core MCP tools load with the definition engines: no tool is called before a request.
  "/src/tools/",
  "/src/jit/",
  "/src/llm/",
  "/src/cluster/",
  "/src/admin/",
  "/src/template/",
  "/src/sandbox/container/",
  "/src/http/app.ts",
  "/src/http/routes/",
  "/examples/",
];

interface InfoModule {
  specifier: string;
  dependencies?: { isDynamic?: boolean; code?: { specifier?: string } }[];
}

/** Every module `entry` reaches through static imports (dynamic `import()`s not followed). */
async function staticGraph(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: fileURLToPath(ROOT),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const spec = todo.pop()!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const dep of bySpecifier.get(spec)?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code?.specifier) todo.push(dep.code.specifier);
    }
  }
  return seen;
}

Deno.test("kiln serve's static import graph leaves the subsystems first requests do not need", async () => {
  const graph = await staticGraph("src/cli/serve_command.ts");
  // The graph is real: the parts every first request needs are on it.
  for (const needed of ["/src/router/", "/src/mcp/", "/src/http/edge.ts", "/src/sandbox/"]) {
    assert.ok([...graph].some((s) => s.includes(needed)), `${needed} is on the serve path`);
  }
  // The deferred container tier's stand-in (no Docker client in it) is what loads the rest later.
  const heavy = [...graph].filter((s) =>
    LAZY.some((lazy) => s.includes(lazy)) &&
    !s.endsWith("/src/sandbox/container/background_tier.ts")
  );
  assert.deepEqual(heavy, [], "modules that should load on first use are imported at start");
});

Deno.test("a fresh kiln serve answers /healthz, /mcp, ingress and the admin API from its first requests", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-lazy-" });
  const server = await spawnServer(["--port", "0", "--data-dir", dataDir, "--no-example"], {
    env: { KILN_ADMIN_TOKEN: TOKEN, KILN_LOG_LEVEL: "error" },
    // As `deno task start` runs it: modules behind dynamic imports load when first imported.
    permissions: ["--allow-all", "--unstable-lazy-dynamic-imports"],
  });
  const admin = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  try {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    const early = await healthShape(server.url);

    // /mcp before anything else has loaded the admin API: the official SDK client.
    const { client } = await connectV1(new URL(`${server.url}/mcp`), TOKEN);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === "core.framework.getConfigValue"));
    } finally {
      await client.close();
    }

    // Ingress before the admin API: the router answers itself.
    const missing = await fetch(`${server.url}/apps/nope/ping`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "APP_NOT_FOUND");

    // The first admin API call loads it (with the JIT loop and the workflow engine behind it).
    const registered = await fetch(`${server.url}/v1/apps`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ files: bystanderApp() }),
    });
    assert.equal(registered.status, 201, await registered.clone().text());
    await registered.body?.cancel();

    const ping = await fetch(`${server.url}/apps/bystander/ping`);
    assert.equal(ping.status, 200, await ping.clone().text());
    assert.deepEqual(await ping.json(), { pong: true });

    // The JIT loop through the admin API and through a core tool over /mcp.
    const jit = await fetch(`${server.url}/v1/apps/bystander/jit`, { headers: admin });
    assert.equal(jit.status, 200, await jit.clone().text());
    await jit.body?.cancel();
    const again = await connectV1(new URL(`${server.url}/mcp`), TOKEN);
    try {
      const listed = await again.client.callTool({
        name: "app.bystander.ping",
        arguments: {},
      });
      assert.ok(!listed.isError, JSON.stringify(listed));
    } finally {
      await again.client.close();
    }
    // Before and after the admin API loaded, /healthz answers alike, request ID included.
    assert.deepEqual(await healthShape(server.url), early);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** What a client sees of `GET` and `HEAD /healthz` sent with its own request ID. */
async function healthShape(url: string) {
  const shape = async (method: string) => {
    const res = await fetch(`${url}/healthz`, { method, headers: { "x-request-id": "probe-7" } });
    return {
      status: res.status,
      type: res.headers.get("content-type"),
      requestId: res.headers.get("x-request-id"),
      body: await res.text(),
    };
  };
  const [get, head] = [await shape("GET"), await shape("HEAD")];
  assert.equal(get.requestId, "probe-7");
  assert.equal(head.body, "");
  return { get: { ...get, body: JSON.parse(get.body) }, head };
}
