import { jsonTextShape, KilnError, LIMITS } from "../../core/mod.ts";
import { type ExecutionHost, MAX_CALLS_IN_FLIGHT, TOO_MANY_CALLS } from "../tier.ts";
import { readCapped } from "./_read_capped.ts";

/** The largest request a container may send to `/mcp` (as the endpoint's own limit). */
const MAX_BODY = 4 << 20;
const MAX_DEPTH = LIMITS["json.depth"];

/**
 * The request with its body read up to MAX_BODY (rejects past it), or null when the body nests
 * past the JSON depth budget: V8 parses deep JSON slowly (about a second for 4 MB of brackets), on
 * the thread that serves every app, so such a body is refused unparsed.
 */
async function capped(req: Request): Promise<Request | null> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readCapped(req, MAX_BODY);
  if (jsonTextShape(body, MAX_DEPTH).over) return null;
  return new Request(req.url, { method: req.method, headers: req.headers, body });
}

/** The execution a container is running now: the only token its MCP socket accepts. */
export interface CurrentExecution {
  token: string;
  host: ExecutionHost;
}

/** What a container's `/mcp` socket hands a request to once its token has been checked. */
export type McpHandler = (req: Request, current: CurrentExecution) => Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * The default handler: answers JSON-RPC `tools/call` by running the tool through the execution's
 * own host (bound to its token, counted by the sandbox manager), and nothing else.
 */
export async function hostBridge(req: Request, current: CurrentExecution): Promise<Response> {
  let message: { id?: unknown; method?: string; params?: { name?: string; arguments?: unknown } };
  try {
    message = await req.json();
  } catch {
    return json({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }, 400);
  }
  const id = message?.id ?? null;
  if (message?.method !== "tools/call" || typeof message.params?.name !== "string") {
    return json({
      jsonrpc: "2.0",
      id,
      error: { code: -32601, message: "only tools/call is served on this socket" },
    });
  }
  try {
    const value = await current.host.callTool(message.params.name, message.params.arguments);
    const text = JSON.stringify(value ?? null);
    return json({
      jsonrpc: "2.0",
      id,
      result: { content: [{ type: "text", text }], structuredContent: JSON.parse(text) },
    });
  } catch (err) {
    const e = err instanceof KilnError ? err : new KilnError("INTERNAL", "the tool call failed");
    return json({
      jsonrpc: "2.0",
      id,
      result: { content: [{ type: "text", text: JSON.stringify(e.toJSON()) }], isError: true },
    });
  }
}

/**
 * Forwards to Kiln's real `/mcp` handler (`(Request) => Promise<Response>`), as a loopback
 * request carrying the execution's token, so container tool calls take the same path as any
 * other MCP client's.
 */
export function forwardTo(handler: (req: Request) => Promise<Response>): McpHandler {
  return async (req, current) => {
    const headers = new Headers(req.headers);
    headers.set("host", "127.0.0.1");
    headers.delete("origin");
    const body = req.method === "GET" || req.method === "HEAD"
      ? undefined
      : await req.arrayBuffer();
    const tool = toolCalled(body);
    const started = performance.now();
    const forwarded = new Request("http://127.0.0.1/mcp", { method: req.method, headers, body });
    // The tool call's span belongs under the execution's sandbox span, not the socket's request.
    const res =
      await (current.host.inContext
        ? current.host.inContext(() => handler(forwarded))
        : handler(forwarded));
    if (tool) {
      const { structured, error } = await resultOf(res.clone());
      current.host.recordCall?.(tool, performance.now() - started, structured);
      if (error) current.host.toolFailed?.(tool, error);
    }
    return res;
  };
}

/** The tool a JSON-RPC `tools/call` body names, if it is one. */
function toolCalled(body: ArrayBuffer | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const message = JSON.parse(new TextDecoder().decode(body));
    const name = message?.method === "tools/call" ? message.params?.name : undefined;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `structuredContent` of a JSON (or single-event SSE) `tools/call` answer, and the error of an
 * `isError` one as the guest's runner reads it (Kiln's envelope in the text content).
 */
async function resultOf(
  res: Response,
): Promise<{ structured?: unknown; error?: { code: string; message: string } }> {
  try {
    const text = await res.text();
    const json = text.trimStart().startsWith("{")
      ? text
      : text.split("\n").find((line) => line.startsWith("data:"))?.slice(5);
    const result = json ? JSON.parse(json)?.result : undefined;
    if (result?.isError !== true) return { structured: result?.structuredContent };
    const body = result.content?.find((c: { type?: string }) => c.type === "text")?.text;
    const error = typeof body === "string" ? JSON.parse(body)?.error : undefined;
    return typeof error?.code === "string" && typeof error?.message === "string"
      ? { error: { code: error.code, message: error.message } }
      : {};
  } catch {
    return {};
  }
}

/**
 * Serves a container's `mcp.sock`: refuses any bearer but the running execution's, then hands
 * the request on. Between executions every request is refused. A container runs one execution at
 * a time, so the requests in flight on its socket are its execution's: past `MAX_CALLS_IN_FLIGHT`
 * they are answered OVERLOADED, as an in-process guest's calls are.
 */
export function serveMcpSocket(
  path: string,
  current: () => CurrentExecution | null,
  handler: McpHandler,
): Deno.HttpServer<Deno.UnixAddr> {
  let inFlight = 0;
  return Deno.serve({ path, onListen: () => Deno.chmodSync(path, 0o666) }, (req) => {
    const running = current();
    const auth = req.headers.get("authorization") ?? "";
    if (!running || auth !== `Bearer ${running.token}`) {
      return json({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32001, message: "no execution of this container holds that token" },
      }, 401);
    }
    if (inFlight >= MAX_CALLS_IN_FLIGHT) {
      return json({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32000, message: TOO_MANY_CALLS, data: { code: "OVERLOADED" } },
      }, 429);
    }
    inFlight++;
    const answer = capped(req).then(
      (copy) =>
        copy ? handler(copy, running) : json({
          jsonrpc: "2.0",
          id: null,
          error: {
            code: -32600,
            message: `request bodies may nest at most ${MAX_DEPTH} levels`,
            data: { code: "LIMIT_EXCEEDED", limit: "json.depth", max: MAX_DEPTH },
          },
        }, 400),
      () =>
        json({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32600, message: `request bodies are capped at ${MAX_BODY} bytes` },
        }, 413),
    );
    answer.finally(() => inFlight--).catch(() => {});
    return answer;
  });
}
