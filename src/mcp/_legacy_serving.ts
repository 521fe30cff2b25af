import {
  type AuthInfo,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { KilnError, quote } from "../core/mod.ts";
import { buildMcpServer, callTool, type McpServerDeps } from "./_mcp_server.ts";
import type { SessionTable } from "./_sessions.ts";
import {
  failureAnswer,
  resultAnswer,
  type StatelessCall,
  statelessCall,
} from "./_stateless_call.ts";
import type { ToolCaller, ToolCallResult, ToolCatalog } from "./tool.ts";

/**
 * Serves 2025-era MCP (2025-11-25 and older revisions): a client that sends `initialize` gets a
 * session (`Mcp-Session-Id`) bound to its caller; a request without a session header is served
 * statelessly by a fresh server/transport pair, which is how sandboxes call tools.
 */
export class LegacyServing {
  constructor(
    private readonly deps: McpServerDeps,
    private readonly sessions: SessionTable,
    private readonly maxSessions: number,
    private readonly shortcut = true,
  ) {}

  async serve(req: Request, body: unknown, authInfo: AuthInfo): Promise<Response> {
    const sessionId = req.headers.get("mcp-session-id");
    if (sessionId !== null) {
      const session = this.sessions.touch(sessionId);
      if (!session) {
        throw new KilnError("NOT_FOUND", `no live MCP session ${quote(sessionId)}`);
      }
      if (session.identity !== authInfo.clientId) {
        throw new KilnError(
          "FORBIDDEN",
          `MCP session ${quote(sessionId)} belongs to another caller`,
        );
      }
      const res = await session.transport.handleRequest(req, { authInfo, parsedBody: body });
      return req.method === "GET" && isEventStream(res)
        ? this.sessions.trackStream(session, res)
        : res;
    }
    if (req.method !== "POST") {
      throw new KilnError(
        "METHOD_NOT_ALLOWED",
        `${req.method} /mcp needs an Mcp-Session-Id header`,
      );
    }
    const call = this.shortcut ? statelessCall(req, body) : null;
    if (call) return await this.#call(req, body, authInfo, call);
    const initializing = Array.isArray(body) ? body.some(isInitialize) : isInitialize(body);
    return initializing
      ? await this.#open(req, body, authInfo)
      : await this.#once(req, body, authInfo);
  }

  /** Tells every live session's client to list tools again. */
  notifyToolsChanged(): void {
    for (const session of this.sessions.all()) {
      session.server.sendToolListChanged().catch((err) =>
        this.deps.log.warn("tools/list_changed not delivered", {
          sessionId: session.id,
          error: String(err),
        })
      );
    }
  }

  async #open(req: Request, body: unknown, authInfo: AuthInfo): Promise<Response> {
    if (this.sessions.size >= this.maxSessions && this.sessions.sweep() === 0) {
      throw new KilnError("OVERLOADED", `too many MCP sessions (limit ${this.maxSessions})`);
    }
    const server = buildMcpServer(this.deps, true);
    const transport: WebStandardStreamableHTTPServerTransport =
      new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) =>
          this.sessions.add({ id, server, transport, identity: authInfo.clientId }),
        onsessionclosed: (id) => this.sessions.close(id),
      });
    await server.connect(transport);
    const res = await transport.handleRequest(req, { authInfo, parsedBody: body });
    if (transport.sessionId === undefined) server.close().catch(() => {});
    return res;
  }

  /**
   * A plain stateless `tools/call`, without a throwaway SDK server (see `statelessCall`). A result
   * the shortcut cannot vouch for byte for byte is answered by the SDK, which is handed the result
   * rather than running the tool again; so is a request without a caller, which the SDK refuses.
   */
  async #call(
    req: Request,
    body: unknown,
    authInfo: AuthInfo,
    call: StatelessCall,
  ): Promise<Response> {
    const caller = authInfo.extra?.caller as ToolCaller | undefined;
    if (!caller) return await this.#once(req, body, authInfo);
    const out = await callTool(this.deps, call.name, call.args, caller);
    if ("error" in out) return failureAnswer(call.id, out.error);
    return resultAnswer(call.id, out.result) ??
      await this.#once(req, body, authInfo, out.result);
  }

  async #once(
    req: Request,
    body: unknown,
    authInfo: AuthInfo,
    ran?: ToolCallResult,
  ): Promise<Response> {
    const deps = ran === undefined
      ? this.deps
      : { ...this.deps, catalog: ranCatalog(this.deps.catalog, ran) };
    const server = buildMcpServer(deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(req, { authInfo, parsedBody: body });
    } finally {
      server.close().catch(() => {});
    }
  }
}

/** The catalog, except that a call answers with a result already computed. */
function ranCatalog(catalog: ToolCatalog, ran: ToolCallResult): ToolCatalog {
  return {
    list: (caller) => catalog.list(caller),
    call: () => Promise.resolve(ran),
    onListChanged: (listener) => catalog.onListChanged(listener),
  };
}

/** Whether a message asks to initialize; the transport validates its shape. */
function isInitialize(message: unknown): boolean {
  return (message as { method?: unknown } | null)?.method === "initialize";
}

function isEventStream(res: Response): boolean {
  return res.ok && (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
}
