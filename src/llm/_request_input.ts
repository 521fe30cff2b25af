/** The caller's data of one execution; the sandbox SDK's definition, so JIT code sees the same. */
export { payload as requestPayload } from "../../isolates/sdk.ts";

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
