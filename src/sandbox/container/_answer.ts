/**
 * Reading a runner's `/execute` answer, which Kiln does not trust: its nesting is checked before
 * it is parsed, the result and log fields against the JSON depth budget after, and a kill becomes
 * the error callers see, naming the limit the component broke.
 */
import {
  jsonTextShape,
  type KilnError,
  LIMITS,
  quote,
  sandboxKilled,
  SandboxTimeoutError,
} from "../../core/mod.ts";
import type { ExecuteResponse } from "../../models/mod.ts";
import type { ExecutionJob, GuestLogLevel } from "../tier.ts";

/** How deep a result (and a log's fields) may nest, as everywhere Kiln hands JSON on. */
export const MAX_DEPTH = LIMITS["json.depth"];

/** Room in an answer's item budget for its logs (each a few items). */
const LOG_ITEMS = 10_000;

const TOO_DEEP = { output: `returned a result nested more than ${MAX_DEPTH} levels deep` };

interface GuestLog {
  level: GuestLogLevel;
  message: string;
  fields?: Record<string, unknown>;
  source?: "sdk" | "console";
}

/** A runner's answer as JSON; anything else becomes a BAD_GATEWAY error body. */
export function parseAnswer(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch { /* below */ }
  return { error: { code: "BAD_GATEWAY", message: text.slice(0, 300) } };
}

/**
 * The body of an `/execute` answer. V8 parses deep JSON iteratively but slowly (a second for a
 * few megabytes of brackets), so text nesting past the budget is refused without being parsed.
 * The result sits one level down in the answer, so the answer may nest one level more; a log's
 * fields sit three levels down and so get two levels less than a result.
 */
export function readExecuteAnswer(job: ExecutionJob, text: string): Record<string, unknown> {
  // Logs ride in the answer too, so it may hold a little more than a result may.
  const { over } = jsonTextShape(text, MAX_DEPTH + 1, LIMITS["json.items"] + 2 * LOG_ITEMS);
  if (over === "json.depth") {
    throw killError(job, "output", "the runner's answer nests too deeply", {
      limit: "json.depth",
    }, TOO_DEEP);
  }
  if (over) {
    throw killError(job, "output", "the runner's answer holds too many items", {
      limit: "json.items",
    }, { output: `returned a result of more than ${LIMITS["json.items"]} items` });
  }
  return parseAnswer(text);
}

/**
 * A runner's 200 answer, read by `readExecuteAnswer`, as the `/execute` response; its logs go to
 * the execution's host.
 */
export function executeResponse(
  job: ExecutionJob,
  body: Record<string, unknown>,
  started: number,
): ExecuteResponse {
  const response = body as unknown as ExecuteResponse & { logs?: GuestLog[]; recycle?: unknown };
  for (const l of Array.isArray(response.logs) ? response.logs : []) {
    const fields = l.fields && typeof l.fields === "object" ? l.fields : undefined;
    job.host.log(l.level, String(l.message), fields, l.source);
  }
  delete response.logs;
  delete response.recycle;
  response.requestId = job.request.requestId;
  response.metrics = {
    execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
    mcp_calls: [],
  };
  return response;
}

/**
 * The error for a killed execution: SandboxTimeoutError for `timeout`, else SANDBOX_KILLED with
 * `reason`; `texts` replaces the message's account of a reason (e.g. which memory limit governed).
 */
export function killError(
  job: ExecutionJob,
  reason: string,
  detail: string,
  extra: Record<string, unknown> & { aborted?: boolean } = {},
  texts: Record<string, string> = {},
): KilnError {
  const { limits, request: { requestId, context } } = job;
  const what: Record<string, string> = {
    timeout: extra.aborted
      ? "was stopped because the caller went away"
      : `ran past its ${limits.timeoutMs} ms deadline`,
    memory: `exceeded its ${limits.memoryMb} MB memory limit`,
    output: `produced more than ${limits.maxOutputBytes} bytes of output`,
    stack: "exceeded the maximum call stack depth",
    crash: "crashed its sandbox container",
    shutdown: "was stopped because the container tier is shutting down",
    ...texts,
  };
  const message = `the execution of ${quote(`${context.appId}/${context.componentId}`)} ${
    what[reason] ?? `was killed (${reason})`
  }`;
  const details = { tier: "container", requestId, detail, ...extra };
  if (reason === "timeout") {
    return new SandboxTimeoutError(message, { ...details, timeoutMs: limits.timeoutMs });
  }
  const known = ["memory", "output", "stack", "crash", "shutdown"] as const;
  const r = (known as readonly string[]).includes(reason)
    ? reason as typeof known[number]
    : "crash";
  return sandboxKilled(r, message, details);
}
