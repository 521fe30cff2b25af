import { concatBytes, KilnError } from "../core/mod.ts";
import type { RequestData } from "../models/mod.ts";

/** The largest ingress body handed to a component, unless the router is told otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

/** Credentials of the caller are Kiln's business, never the component's. */
const HIDDEN_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

const TEXT_TYPE =
  /^\s*(text\/|application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|x-yaml|x-ndjson)\b|[a-z]+\/[^;\s]*\+(json|xml)\b)/i;

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Where a request landed in an app: its app-relative path and the route that matched it. */
export interface RouteHit {
  path: string;
  routePattern: string;
  pathParameters: Record<string, string>;
}

/**
 * `requestData` for an ingress request (contract §5 `httpDetails`). Bodies that are text travel as
 * UTF-8, anything else as base64, so binary uploads reach the component byte for byte; bodies over
 * `maxBodyBytes` are refused (413) before they are buffered.
 */
export async function httpRequestData(
  req: Request,
  url: URL,
  hit: RouteHit,
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
): Promise<RequestData> {
  const headers: Record<string, string> = {};
  // `forEach`, not `for…of`: the same entries, without an iterator and an array per header (an
  // eighth of the time for a handful of headers).
  req.headers.forEach((value, name) => {
    if (!HIDDEN_HEADERS.has(name)) headers[name] = value;
  });
  const queryParameters: Record<string, string | string[]> = {};
  // `searchParams` builds and parses a URLSearchParams on first use: not for an empty query.
  if (url.search.length > 1) {
    url.searchParams.forEach((value, name) => {
      const seen = queryParameters[name];
      queryParameters[name] = seen === undefined
        ? value
        : Array.isArray(seen)
        ? [...seen, value]
        : [seen, value];
    });
  }
  const bytes = await readBody(req, maxBodyBytes);
  const { body, bodyEncoding } = encodeBody(bytes, req.headers.get("content-type"));
  return {
    source: "http",
    httpDetails: {
      method: req.method,
      path: hit.path,
      routePattern: hit.routePattern,
      pathParameters: hit.pathParameters,
      queryParameters,
      headers,
      body,
      bodyEncoding,
    },
  };
}

/** Reads at most `max` bytes of the body; null when there is none. */
export async function readBody(req: Request, max: number): Promise<Uint8Array | null> {
  const tooLarge = () =>
    new KilnError("PAYLOAD_TOO_LARGE", `the request body exceeds ${max} bytes`, { max });
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > max) throw tooLarge();
  // A declared length is enforced by the HTTP layer, so the body is read in one go, and without
  // touching `req.body`, which would wrap a body that has fully arrived in a stream first.
  if (Number.isFinite(declared)) {
    const bytes = await req.bytes();
    if (bytes.byteLength > max) throw tooLarge();
    return bytes.byteLength === 0 ? null : bytes;
  }
  if (!req.body) return null;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (total === 0) return null;
  return concatBytes(chunks);
}

/** Text stays text when it is valid UTF-8; everything else is base64. */
export function encodeBody(
  bytes: Uint8Array | null,
  contentType: string | null,
): { body: string | null; bodyEncoding: "utf8" | "base64" } {
  if (bytes === null) return { body: null, bodyEncoding: "utf8" };
  if (contentType === null || TEXT_TYPE.test(contentType)) {
    try {
      return {
        body: UTF8.decode(bytes),
        bodyEncoding: "utf8",
      };
    } catch {
      // not UTF-8 after all: carry the bytes
    }
  }
  return { body: toBase64(bytes), bodyEncoding: "base64" };
}

/** Standard base64 of bytes, chunked so large bodies do not overflow the call stack. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
