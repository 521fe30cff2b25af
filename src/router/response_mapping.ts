import { componentError, ERROR_STATUS, type ErrorCode, KilnError, quote } from "../core/mod.ts";
import {
  type ComponentDefinition,
  ErrorData,
  type ExecuteResponse,
  HttpResponseData,
} from "../models/mod.ts";

/** Headers a component may not set: the connection and the body framing are Kiln's. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "upgrade",
  "te",
  "trailer",
  "proxy-authenticate",
  "proxy-connection",
]);
const NULL_BODY = new Set([204, 205, 304]);

type HttpResponseData = ReturnType<typeof HttpResponseData.parse>;
type ErrorData = ReturnType<typeof ErrorData.parse>;

/** Whether `code` is one of Kiln's own error codes (and so has a fixed status). */
export function isKilnCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/**
 * The HTTP answer for a result (ADR 0005): `generic` is 200 JSON; `httpResponse` (returned as
 * such, or declared by `expectedResultFormat`) is proxied; `error` answers the status of its code
 * when it is a Kiln code and 500 otherwise, in the error envelope with the component's own code
 * and message (bounded). `extra` headers (Kiln's own) go in with the answer's, over any the
 * component set: building the response once is cheaper than setting headers on it after.
 */
export function resultToHttp(
  result: ExecuteResponse,
  component: ComponentDefinition,
  extra: Record<string, string> = {},
): Response {
  switch (result.resultType) {
    case "error": {
      const e = errorData(result, component);
      return errorToHttp(componentError(e.code, e.message, e.details), extra);
    }
    case "httpResponse":
      return proxied(httpResponseData(result, component), component, extra);
    case "generic":
      return component.expectedResultFormat === "httpResponse"
        ? proxied(httpResponseData(result, component), component, extra)
        : json(result.data === undefined ? null : result.data, 200, extra);
    default:
      throw outsideWorkflow(result, component);
  }
}

/**
 * What an `app.<appId>.<componentId>` tool call answers: the result as structured content (a
 * non-object result is wrapped as `{result}`, since MCP structured content is an object), and
 * an `error` result as a thrown error under the component's own code and message (bounded), so a
 * workflow's `onFailure` and an MCP client see what the component said.
 */
export function resultToToolOutput(
  result: ExecuteResponse,
  component: ComponentDefinition,
): Record<string, unknown> {
  switch (result.resultType) {
    case "error": {
      const e = errorData(result, component);
      throw componentError(e.code, e.message, e.details);
    }
    case "httpResponse":
      return httpResponseData(result, component);
    case "generic": {
      if (component.expectedResultFormat === "httpResponse") {
        return httpResponseData(result, component);
      }
      const data = result.data;
      return isPlainObject(data) ? data : { result: data === undefined ? null : data };
    }
    default:
      throw outsideWorkflow(result, component);
  }
}

/** The HTTP answer for an error: the envelope and the status its code maps to. */
export function errorToHttp(err: KilnError, headers: Record<string, string> = {}): Response {
  const extra: Record<string, string> = { ...headers };
  if (err.status === 401) extra["www-authenticate"] ??= 'Bearer realm="kiln"';
  if (err.status === 429) extra["retry-after"] ??= retryAfter(err.details);
  return json(err.toJSON(), err.status, extra);
}

/** Seconds, from an error's own `retryAfterMs` when it knows how long the refusal lasts. */
function retryAfter(details: unknown): string {
  const ms = (details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === "number" && ms > 0 ? String(Math.ceil(ms / 1000)) : "1";
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function proxied(
  data: HttpResponseData,
  component: ComponentDefinition,
  extra: Record<string, string>,
): Response {
  const bad = (why: string, details?: unknown) =>
    new KilnError(
      "BAD_GATEWAY",
      `component ${quote(component.componentId)} answered an unusable httpResponse: ${why}`,
      details,
    );
  if (data.statusCode < 200) throw bad(`status ${data.statusCode} cannot be proxied`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(data.headers)) {
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    try {
      headers.append(name, value);
    } catch {
      throw bad(`invalid header ${quote(name)}`);
    }
  }
  for (const name in extra) headers.set(name, extra[name]);
  let body: BodyInit | null = data.body;
  if (data.body !== null && data.bodyEncoding === "base64") {
    try {
      body = Uint8Array.from(atob(data.body), (c) => c.charCodeAt(0));
    } catch {
      throw bad("the body is not valid base64");
    }
  }
  return new Response(NULL_BODY.has(data.statusCode) ? null : body, {
    status: data.statusCode,
    headers,
  });
}

function httpResponseData(
  result: ExecuteResponse,
  component: ComponentDefinition,
): HttpResponseData {
  const parsed = HttpResponseData.safeParse(result.data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new KilnError(
    "BAD_GATEWAY",
    `component ${quote(component.componentId)} answered an invalid httpResponse: ${
      issues[0].path || "data"
    }: ${issues[0].message}`,
    { issues },
  );
}

function errorData(result: ExecuteResponse, component: ComponentDefinition): ErrorData {
  const parsed = ErrorData.safeParse(result.data);
  if (parsed.success) return parsed.data;
  throw new KilnError(
    "BAD_GATEWAY",
    `component ${quote(component.componentId)} answered an error result without code and message`,
    { data: result.data },
  );
}

function outsideWorkflow(result: ExecuteResponse, component: ComponentDefinition): KilnError {
  return new KilnError(
    "BAD_GATEWAY",
    `component ${quote(component.componentId)} answered ${
      quote(result.resultType)
    } outside a workflow`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
