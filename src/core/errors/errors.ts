/**
 * Kiln's one error type. Every failure a caller can see carries a stable `code`; the HTTP status
 * for each code is fixed here and nowhere else, so the API, MCP and CLI agree on what went wrong.
 */

/** The stable error codes and the HTTP status each maps to. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  BAD_REQUEST: 400,
  PROMPT_RENDER_FAILED: 400,
  PATH_NOT_ALLOWED: 400,
  PATCH_INVALID: 400,
  LIMIT_EXCEEDED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  NOT_FOUND: 404,
  APP_NOT_FOUND: 404,
  COMPONENT_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
  METRIC_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  CANCELLED: 409,
  APP_EXISTS: 409,
  PATCH_CONFLICT: 409,
  JIT_BUSY: 409,
  JIT_NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  OVERLOADED: 429,
  LLM_RATE_LIMITED: 429,
  INTERNAL: 500,
  SANDBOX_KILLED: 500,
  COMPONENT_BUILD_FAILED: 500,
  PROMPT_INVALID: 500,
  EXPRESSION_ERROR: 500,
  WORKFLOW_FAILED: 500,
  STEP_INTERRUPTED: 500,
  BAD_GATEWAY: 502,
  COMPONENT_FAULT: 502,
  LLM_PROVIDER_ERROR: 502,
  LLM_OUTPUT_INVALID: 502,
  JIT_CODER_ANSWER_INVALID: 502,
  JIT_GATE_FAILED: 500,
  UNAVAILABLE: 503,
  TIER_UNAVAILABLE: 503,
  LLM_NOT_CONFIGURED: 503,
  LLM_RECORDING_MISSING: 503,
  EXECUTION_TIMEOUT: 504,
  LLM_TIMEOUT: 504,
} as const;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The wire form of every error: `{error: {code, message, details}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** A failure with a stable code, a message that quotes the offending value, and optional details. */
export class KilnError extends Error {
  override readonly name: string = "KilnError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The HTTP status this error answers with. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/**
 * An error a component answered under a code of its own (`NO_REVIEWS`). Every layer — router,
 * workflow (`step.output.error.code`), MCP (`isError` content) — passes its code and message on
 * as the component said them, so callers can act on them; the status is 500 (the component
 * failed, not Kiln and not the caller). Build it with `componentError()`, which bounds it.
 */
export class ComponentError extends KilnError {
  override readonly name = "ComponentError";
  constructor(code: string, message: string, details?: unknown) {
    // The app's own code travels in `code`: outside Kiln's table, so `status` is fixed here.
    super(code as ErrorCode, message, details);
  }

  override get status(): number {
    return 500;
  }
}

/** Why a tier killed a sandbox; carried in `details.reason` of SANDBOX_KILLED and EXECUTION_TIMEOUT. */
export type KillReason =
  | "timeout"
  | "memory"
  | "output"
  | "stack"
  | "crash"
  | "shutdown";

/**
 * A sandbox ran past its deadline and was terminated. Its own class because callers (the router,
 * workflow steps, the oracle) catch it to retry or record a timeout rather than a crash.
 */
export class SandboxTimeoutError extends KilnError {
  override readonly name = "SandboxTimeoutError";
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("EXECUTION_TIMEOUT", message, { reason: "timeout", ...details });
  }
}

/** A tier killed a sandbox for a reason other than time (memory, output, stack, crash). */
export function sandboxKilled(
  reason: Exclude<KillReason, "timeout">,
  message: string,
  details: Record<string, unknown> = {},
): KilnError {
  return new KilnError("SANDBOX_KILLED", message, { reason, ...details });
}

/** Turns anything thrown into a KilnError, hiding internals of unexpected failures. */
export function toKilnError(err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  return new KilnError("INTERNAL", "internal error", undefined, { cause: err });
}

/** Quotes a user-supplied value for an error message, cut to a readable length. */
export function quote(value: unknown, max = 120): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
