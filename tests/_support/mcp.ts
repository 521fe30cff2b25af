/**
 * A real Kiln behind a real loopback socket with `/mcp` mounted, for driving the endpoint with the
 * official SDK clients. The catalog is Kiln's own ToolRegistry; only the endpoint's knobs (clock,
 * session TTL, allowed origins) are set per test.
 */
import { Authenticator, setupAdminToken } from "../../src/auth/mod.ts";
import { type Clock, silentLogger } from "../../src/core/mod.ts";
import { createHttpHandler } from "../../src/http/mod.ts";
import { listen } from "../../src/http/serve.ts";
import { createKiln, type Kiln, type KilnOptions } from "../../src/kiln.ts";
import { createMcpEndpoint, type McpEndpoint } from "../../src/mcp/mod.ts";
import { ADMIN_TOKEN } from "./kiln.ts";

/** One component allowed to read runtime state: the app the MCP authorization tests call into. */
export const GET_USER_COMPONENTS = `components:
  - componentId: getUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    routeMatcher: { pathPattern: /api/users/:id, methods: [GET] }
    permissions: [core.state.getRuntimeValue]
`;

/** A listening Kiln with `/mcp`; `mcpUrl` is on 127.0.0.1. */
export interface McpKiln {
  kiln: Kiln;
  endpoint: McpEndpoint;
  /** The whole HTTP app, `/mcp` included, as a handler. */
  handler: (req: Request) => Response | Promise<Response>;
  url: string;
  mcpUrl: URL;
  close(): Promise<void>;
}

/** Starts Kiln on a temp dir and serves its HTTP app, `/mcp` included, on a loopback port. */
export async function startMcpKiln(
  opts: {
    clock?: Clock;
    sessionTtlMs?: number;
    allowedOrigins?: string[];
    llm?: KilnOptions["llm"];
    /** Any other Kiln options (tiers, optimization, random). */
    kiln?: Partial<KilnOptions>;
  } = {},
): Promise<McpKiln> {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-mcp-test-" });
  const kiln = await createKiln({
    dataDir,
    adminToken: ADMIN_TOKEN,
    logger: silentLogger,
    watch: false,
    clock: opts.clock,
    llm: opts.llm,
    ...opts.kiln,
  });
  const custom = opts.sessionTtlMs !== undefined || opts.allowedOrigins !== undefined;
  let endpoint = kiln.mcp;
  let handler = kiln.handler;
  if (custom) {
    const admin = await setupAdminToken(kiln.store, ADMIN_TOKEN);
    const auth = new Authenticator(
      admin.verifier,
      (key) => kiln.registry.validateApiKey(key),
      kiln.executionTokens,
    );
    endpoint = createMcpEndpoint({
      catalog: kiln.tools,
      authenticate: (header) => auth.authenticate(header),
      logger: silentLogger,
      version: "test",
      ...opts,
    });
    handler = createHttpHandler({
      registry: kiln.registry,
      state: kiln.state,
      auth,
      logger: silentLogger,
      version: "test",
      executionTokens: kiln.executionTokens,
      mcp: endpoint,
    });
  }
  const server = listen(handler, { port: 0, hostname: "127.0.0.1" });
  return {
    kiln,
    endpoint,
    handler,
    url: server.url,
    mcpUrl: new URL(`${server.url}/mcp`),
    async close() {
      await endpoint.close();
      await server.shutdown();
      await kiln.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** An admin call to Kiln's HTTP API that must succeed; answers the parsed JSON body. */
export async function adminApi(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  // deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", "Authorization": `Bearer ${ADMIN_TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
