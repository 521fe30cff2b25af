/**
 * The two things every in-process tier does for its guest: answer an `mcp.call` through the
 * execution's host (as JSON text the guest parses once), and hand a guest log line to the host.
 */
import { jsonTextShape, LIMITS, shapeMessage, toKilnError } from "../core/mod.ts";
import type { ExecutionHost, GuestLogLevel } from "./tier.ts";

/**
 * Runs the tool and answers `{ok, value}` or `{ok: false, code, message}` as JSON text. Parameters
 * nested deeper than `json.depth` are refused before anything walks them. The frame comes from
 * where guest code runs: its types are checked, not assumed.
 */
export async function answerCall(
  host: ExecutionHost,
  tool: string,
  params?: string,
): Promise<string> {
  if (typeof tool !== "string" || (params !== undefined && typeof params !== "string")) {
    const message = "an mcp.call names its tool as a string and sends its parameters as JSON text";
    return JSON.stringify({ ok: false, code: "BAD_REQUEST", message });
  }
  const over = params === undefined ? null : jsonTextShape(params).over;
  if (over) {
    const message = shapeMessage(`the parameters of ${JSON.stringify(tool)}`, over);
    return JSON.stringify({ ok: false, code: "LIMIT_EXCEEDED", message });
  }
  try {
    const value = await host.callTool(tool, params === undefined ? undefined : JSON.parse(params));
    return JSON.stringify({ ok: true, value });
  } catch (err) {
    const { code, message } = toKilnError(err);
    return JSON.stringify({ ok: false, code, message });
  }
}

/** One guest log line; `fields` is JSON text of what the SDK's `log` was given. */
export interface GuestLogLine {
  level: GuestLogLevel;
  message: string;
  fields?: string;
  source: "sdk" | "console";
}

/**
 * Hands a guest line to the host; non-object fields are wrapped, fields nested deeper than
 * `json.depth` replaced by a note, and a failing sink is ignored.
 */
export function forwardLog(host: ExecutionHost, line: GuestLogLine): void {
  try {
    const over = line.fields === undefined ? null : jsonTextShape(line.fields).over;
    const parsed = line.fields === undefined ? undefined : over
      ? {
        fields: over === "json.depth"
          ? `nested deeper than ${LIMITS[over]} levels`
          : `more than ${LIMITS[over]} items`,
      }
      : JSON.parse(line.fields);
    const fields = parsed === undefined ||
        (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      ? parsed
      : { fields: parsed };
    host.log(line.level, line.message, fields, line.source);
  } catch {
    // A failing log sink must not fail the execution.
  }
}
