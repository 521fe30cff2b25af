import { ComponentError, ERROR_STATUS, type ErrorCode, KilnError } from "./errors/mod.ts";
import { LIMITS } from "./limits.ts";

/** An app's own error code: what `NO_REVIEWS`, `TICKET_CLOSED` look like. */
const APP_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The error for a component's `error` result, bounded (`component.error.message`,
 * `component.error.details`) so an app cannot flood a caller or a workflow record. A Kiln code
 * keeps its meaning and status; an app's own code keeps its name as a ComponentError (500); a
 * code that is neither (lower case, too long, free text) becomes the app's `APPLICATION_ERROR`.
 */
export function componentError(code: string, message: string, details?: unknown): KilnError {
  const max = LIMITS["component.error.message"];
  const text = message.length > max ? `${message.slice(0, max)}…` : message;
  const kept = boundedDetails(details);
  if (Object.hasOwn(ERROR_STATUS, code)) return new KilnError(code as ErrorCode, text, kept);
  return new ComponentError(APP_CODE.test(code) ? code : "APPLICATION_ERROR", text, kept);
}

function boundedDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(details);
  } catch {
    return undefined;
  }
  if (text === undefined || text.length > LIMITS["component.error.details"]) return undefined;
  return details;
}
