import {
  type AuthInfo,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { KilnError, quote } from "../core/mod.ts";
import { buildMcpServer, type McpServerDeps } from "./_mcp_server.ts";
import type { SessionTable } from "./_sessions.ts";

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

  async #once(req: Request, body: unknown, authInfo: AuthInfo): Promise<Response> {
    const server = buildMcpServer(this.deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(req, { authInfo, parsedBody: body });
    } finally {
      server.close().catch(() => {});
    }
  }
}

/** Whether a message asks to initialize; the transport validates its shape. */
function isInitialize(message: unknown): boolean {
  return (message as { method?: unknown } | null)?.method === "initialize";
}

function isEventStream(res: Response): boolean {
  return res.ok && (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
}
