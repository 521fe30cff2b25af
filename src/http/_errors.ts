import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { type ErrorCode, KilnError, type Logger, toKilnError } from "../core/mod.ts";

const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  401: "UNAUTHORIZED",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** Renders any thrown value as the error envelope with the status its code maps to. */
export function errorResponse(c: Context, err: unknown, log?: Logger): Response {
  const { kiln, headers } = envelopeOf(err, log);
  return c.json(kiln.toJSON(), kiln.status as ContentfulStatusCode, headers);
}

/** {@link errorResponse} outside Hono: for the edge, before the admin API has loaded. */
export function errorJson(err: unknown, log?: Logger): Response {
  const { kiln, headers } = envelopeOf(err, log);
  return Response.json(kiln.toJSON(), { status: kiln.status, headers });
}

function envelopeOf(
  err: unknown,
  log?: Logger,
): { kiln: KilnError; headers: Record<string, string> } {
  let kiln: KilnError;
  if (err instanceof HTTPException) {
    kiln = new KilnError(
      HTTP_EXCEPTION_CODES[err.status] ?? "BAD_REQUEST",
      err.message || "bad request",
    );
  } else if (err instanceof SyntaxError) {
    kiln = new KilnError("BAD_REQUEST", `the request body is not valid JSON: ${err.message}`);
  } else {
    kiln = toKilnError(err);
  }
  if (kiln.code === "INTERNAL") {
    log?.error("unhandled error", {
      error: String(err),
      cause: String((err as Error)?.cause ?? ""),
      stack: (err as Error)?.stack,
    });
  }
  const headers: Record<string, string> = {};
  if (kiln.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="kiln"';
  return { kiln, headers };
}

/** zod-openapi's hook: a request that fails its schema answers 400 with the zod issues. */
export function validationHook(
  result: { success: boolean; error?: { issues: unknown[] }; target?: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const issues = (result.error?.issues ?? []) as { path: PropertyKey[]; message: string }[];
  const first = issues[0];
  const where = first?.path?.length ? ` at ${first.path.map(String).join(".")}` : "";
  return errorResponse(
    c,
    new KilnError(
      "VALIDATION_ERROR",
      `invalid request ${result.target ?? "input"}${where}: ${first?.message ?? "invalid"}`,
      { issues: issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) },
    ),
  );
}
