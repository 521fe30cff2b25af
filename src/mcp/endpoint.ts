import {
  createMcpHandler,
  isLegacyRequest,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import { bearerToken, type Principal } from "../auth/mod.ts";
import {
  type Clock,
  KilnError,
  type Logger,
  quote,
  systemClock,
  toKilnError,
} from "../core/mod.ts";
import { callerIdentity, toolCaller } from "./_caller.ts";
import { LegacyServing } from "./_legacy_serving.ts";
import { buildMcpServer, callerAuthInfo, type McpServerDeps } from "./_mcp_server.ts";
import { OriginPolicy } from "./_origin.ts";
import {
  bearerChallenge,
  metadataResponse,
  publicBase,
  RESOURCE_METADATA_PATH,
} from "./_resource_metadata.ts";
import { SessionTable } from "./_sessions.ts";
import { plainLegacy, readJson, rpcError, withHeaders } from "./_wire.ts";
import type { ToolCatalog } from "./tool.ts";

/** What `/mcp` is built from. */
export interface McpEndpointOptions {
  catalog: ToolCatalog;
  /** Turns an `Authorization` header into a principal; throws KilnError UNAUTHORIZED. */
  authenticate: (authorization: string | null) => Principal;
  logger: Logger;
  /** Kiln's version, reported as the MCP server version. */
  version: string;
  /** Browser origins allowed besides same-origin and loopback (`*`: any). */
  allowedOrigins?: string[];
  /** Host names allowed besides loopback (`*` disables the DNS-rebinding check). */
  allowedHosts?: string[];
  /** The URL clients reach Kiln at (for resource metadata behind a proxy); its host is allowed. */
  publicUrl?: string;
  clock?: Clock;
  /** Idle time after which a 2025-era session ends (default 30 minutes). */
  sessionTtlMs?: number;
  /** Most live sessions at once (default 1000). */
  maxSessions?: number;
  /** Largest JSON-RPC body accepted (default 4 MiB). */
  maxBodyBytes?: number;
  /**
   * Answer plain stateless `tools/call`s without a throwaway SDK server (default true; the answer
   * is the same, see `_stateless_call.ts`). Off, every request goes through the SDK.
   */
  statelessShortcut?: boolean;
}

/** `/mcp` as a pure `(Request) => Response` handler plus its shutdown. */
export interface McpEndpoint {
  handle(req: Request): Promise<Response>;
  /** Ends every session and open stream; later requests answer 503. */
  close(): Promise<void>;
  /** Live 2025-era sessions. */
  readonly sessionCount: number;
}

/**
 * Builds Kiln's MCP endpoint on the official SDK: 2026-07-28 requests (per-request envelope, no
 * sessions) go to the SDK's `createMcpHandler`; 2025-era requests go to sessions or, without a
 * session header, to a fresh stateless server/transport pair. Host/Origin checks and bearer auth
 * run first, so nothing reaches the SDK unauthenticated. See ADR 0004.
 */
export function createMcpEndpoint(opts: McpEndpointOptions): McpEndpoint {
  const log = opts.logger.with({ component: "mcp" });
  const deps: McpServerDeps = { catalog: opts.catalog, version: opts.version, log };
  const ttlMs = opts.sessionTtlMs ?? 30 * 60_000;
  const maxBody = opts.maxBodyBytes ?? 4 << 20;
  const origins = new OriginPolicy(opts);
  const sessions = new SessionTable(opts.clock ?? systemClock, ttlMs, log);
  const legacy = new LegacyServing(
    deps,
    sessions,
    opts.maxSessions ?? 1000,
    opts.statelessShortcut ?? true,
  );
  const modern: McpHttpHandler = createMcpHandler(() => buildMcpServer(deps), {
    legacy: "reject",
    maxRequestBodySize: maxBody,
    onerror: (err) => log.debug("mcp request refused", { error: err.message }),
  });
  const unsubscribe = opts.catalog.onListChanged(() => {
    modern.notify.toolsChanged();
    legacy.notifyToolsChanged();
  });
  const sweeper = setInterval(() => sessions.sweep(), Math.min(ttlMs, 60_000));
  Deno.unrefTimer(sweeper);
  let closed = false;

  async function serve(req: Request, url: URL): Promise<Response> {
    const principal = opts.authenticate(req.headers.get("authorization"));
    const caller = toolCaller(principal, url.searchParams.get("app"));
    const authInfo = callerAuthInfo(caller, callerIdentity(caller));
    const body = req.method === "POST" ? await readJson(req, maxBody) : undefined;
    if (plainLegacy(req, body) || await isLegacyRequest(req, body)) {
      return await legacy.serve(req, body, authInfo);
    }
    return await modern.fetch(req, { authInfo, parsedBody: body });
  }

  return {
    async handle(req) {
      const url = new URL(req.url);
      if (url.pathname.startsWith(RESOURCE_METADATA_PATH)) {
        return metadataResponse(req, opts.publicUrl);
      }
      if (url.pathname !== "/mcp") {
        return rpcError(new KilnError("NOT_FOUND", `no MCP endpoint at ${quote(url.pathname)}`));
      }
      if (closed) return rpcError(new KilnError("UNAVAILABLE", "the MCP endpoint is shut down"));
      const refused = origins.rejection(req);
      if (refused) return rpcError(new KilnError("FORBIDDEN", refused));
      if (req.method === "OPTIONS") return origins.preflight(req);
      let res: Response;
      try {
        res = await serve(req, url);
      } catch (err) {
        const kiln = toKilnError(err);
        if (kiln.code === "INTERNAL") log.error("mcp request failed", { error: String(err) });
        const challenge = kiln.status === 401
          ? bearerChallenge(publicBase(req, opts.publicUrl), kiln, sentToken(req))
          : undefined;
        res = rpcError(kiln, challenge);
      }
      return withHeaders(res, origins.corsHeaders(req));
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(sweeper);
      sessions.closeAll();
      await modern.close();
    },
    get sessionCount() {
      return sessions.size;
    },
  };
}

function sentToken(req: Request): boolean {
  return bearerToken(req.headers.get("authorization")) !== null;
}
