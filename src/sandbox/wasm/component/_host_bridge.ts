/**
 * The host side of `kiln:host`: what a component's `mcp.call` and `log` do, and how its answer
 * becomes an `/execute` response. Strings cross the component boundary, so values cross as JSON.
 */
import { jsonTextShape, shapeMessage } from "../../../core/mod.ts";
import type { ExecuteResponse } from "../../../models/mod.ts";
import type { ExecutionHost, GuestLogLevel } from "../../tier.ts";
import type { RunOutcome } from "./_component_worker.ts";

const LEVELS = new Set<string>(["debug", "info", "warn", "error"]);

/**
 * Runs `kiln:host/mcp.call`: ok carries the tool's structuredContent as JSON, err carries
 * `{code, message}` JSON with the Kiln error code, as the JavaScript SDK's rejection does.
 */
export async function callHost(
  host: ExecutionHost,
  tool: string,
  paramsJson: string,
): Promise<{ ok: boolean; value: string }> {
  const { over } = jsonTextShape(paramsJson);
  if (over) {
    const message = shapeMessage(`mcp.call params for "${tool}"`, over);
    return { ok: false, value: JSON.stringify({ code: "LIMIT_EXCEEDED", message }) };
  }
  let params: unknown;
  try {
    params = paramsJson === "" ? {} : JSON.parse(paramsJson);
  } catch {
    const message = `mcp.call params for "${tool}" are not JSON: ${paramsJson.slice(0, 120)}`;
    return { ok: false, value: JSON.stringify({ code: "VALIDATION_ERROR", message }) };
  }
  try {
    const result = await host.callTool(tool, params);
    return { ok: true, value: JSON.stringify(result ?? null) };
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      value: JSON.stringify({ code: typeof code === "string" ? code : "INTERNAL", message }),
    };
  }
}

/** Counts what the guest writes to the host so a log flood is a kill, not a host burden. */
export class GuestOutput {
  #bytes = 0;
  exceeded = false;
  constructor(readonly maxBytes: number) {}

  log(host: ExecutionHost, level: string, message: string, source: "sdk" | "console"): void {
    this.#bytes += message.length;
    if (this.#bytes > this.maxBytes) {
      this.exceeded = true;
      return;
    }
    host.log(LEVELS.has(level) ? level as GuestLogLevel : "info", message, undefined, source);
  }
}

/** The `/execute` response for a run that ended with a value or an application error. */
export function responseFor(requestId: string, outcome: RunOutcome, ms: number): ExecuteResponse {
  const metrics = { execution_time_ms: ms, mcp_calls: [] };
  if ("ok" in outcome) {
    try {
      return { requestId, resultType: "generic", data: JSON.parse(outcome.value), metrics };
    } catch {
      const message = `the component's result is not JSON: ${outcome.value.slice(0, 120)}`;
      return {
        requestId,
        resultType: "error",
        data: { code: "APPLICATION_ERROR", message },
        metrics,
      };
    }
  }
  const text = "appError" in outcome ? outcome.appError : "";
  return { requestId, resultType: "error", data: applicationError(text), metrics };
}

function applicationError(text: string): { code: string; message: string; details?: unknown } {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && typeof parsed.message === "string") {
      const code = typeof parsed.code === "string" ? parsed.code : "APPLICATION_ERROR";
      return parsed.details === undefined
        ? { code, message: parsed.message }
        : { code, message: parsed.message, details: parsed.details };
    }
  } catch {
    // a plain-text error message
  }
  return { code: "APPLICATION_ERROR", message: text };
}
