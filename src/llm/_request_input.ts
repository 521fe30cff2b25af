import type { RequestData } from "../models/mod.ts";

/**
 * The caller's data of one execution: `input` for internal and workflow calls, else the HTTP
 * body — parsed as JSON when it is JSON, else the text — else the query parameters.
 */
export function requestPayload(requestData: RequestData): unknown {
  if (requestData.input !== undefined) return requestData.input;
  const http = requestData.httpDetails;
  if (!http) return {};
  if (http.body === null || http.body === "") return { ...http.queryParameters };
  const text = http.bodyEncoding === "base64"
    ? new TextDecoder().decode(Uint8Array.from(atob(http.body), (c) => c.charCodeAt(0)))
    : http.body;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Template variables from the payload: always `input`; with `inputVariable` the payload also
 * binds to that name (`ticket`), else an object payload's fields are variables themselves.
 */
export function templateVariables(
  payload: unknown,
  inputVariable?: string,
): Record<string, unknown> {
  const spread = inputVariable
    ? { [inputVariable]: payload }
    : payload && typeof payload === "object" && !Array.isArray(payload)
    ? payload as Record<string, unknown>
    : {};
  return { ...spread, input: payload };
}
