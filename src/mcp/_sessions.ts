import type {
  Server,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { Clock, Logger } from "../core/mod.ts";

/** One 2025-era MCP session: its own server/transport pair, bound to the caller that opened it. */
export interface McpSession {
  id: string;
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport;
  /** Who opened it (see `callerIdentity`); every later request must be the same caller. */
  identity: string;
  lastSeen: number;
  /** Open `GET` streams; a session that is listening is not idle. */
  streams: number;
}

/**
 * The live sessions of `/mcp`, expiring those idle longer than `ttlMs` by the injected clock.
 * Closing a session closes its transport, which ends its open streams.
 */
export class SessionTable {
  readonly #sessions = new Map<string, McpSession>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  add(opened: Omit<McpSession, "lastSeen" | "streams">): void {
    const session = { ...opened, lastSeen: this.clock.now(), streams: 0 };
    this.#sessions.set(session.id, session);
    session.server.onclose = () => this.close(session.id);
    this.log.debug("mcp session opened", { sessionId: session.id });
  }

  /** The session, if it exists and has not expired; reading it counts as activity. */
  touch(id: string): McpSession | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (this.#expired(session, this.clock.now())) {
      this.close(id);
      return undefined;
    }
    session.lastSeen = this.clock.now();
    return session;
  }

  /** Forgets a session and closes its pair (idempotent). */
  close(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    session.server.close().catch(() => {});
    this.log.debug("mcp session closed", { sessionId: id });
  }

  /** Closes every session idle past the TTL; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let closed = 0;
    for (const session of [...this.#sessions.values()]) {
      if (this.#expired(session, now)) {
        this.close(session.id);
        closed++;
      }
    }
    return closed;
  }

  closeAll(): void {
    for (const id of [...this.#sessions.keys()]) this.close(id);
  }

  all(): IterableIterator<McpSession> {
    return this.#sessions.values();
  }

  /**
   * Wraps a streaming response body so the session counts as listening until the client leaves
   * or the stream ends; idleness is counted from then.
   */
  trackStream(session: McpSession, res: Response): Response {
    if (!res.body) return res;
    const reader = res.body.getReader();
    session.streams++;
    let open = true;
    const ended = () => {
      if (!open) return;
      open = false;
      session.streams--;
      session.lastSeen = this.clock.now();
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            ended();
            controller.close();
          } else controller.enqueue(value);
        } catch (err) {
          ended();
          controller.error(err);
        }
      },
      cancel(reason) {
        ended();
        return reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(body, { status: res.status, headers: res.headers });
  }

  #expired(session: McpSession, now: number): boolean {
    return session.streams === 0 && now - session.lastSeen > this.ttlMs;
  }
}
