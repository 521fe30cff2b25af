/**
 * A component's schemas are its contract with callers (contract §5): input is checked before
 * anything runs — the caller's fault, 400 — and output on the way out — the component's fault,
 * 502 — whether the call came over HTTP, as an MCP tool or as a workflow step.
 */
import { payload } from "../../isolates/sdk.ts";
import {
  jsonTextShape,
  KilnError,
  limitExceeded,
  LIMITS,
  quote,
  shapeMessage,
  valueDepth,
} from "../core/mod.ts";
import type { ComponentDefinition, ExecuteResponse, RequestData } from "../models/mod.ts";
import type { ComponentContract, ComponentSchema } from "../registry/mod.ts";

/** Issues named in one error: enough to fix a request, bounded however bad the value. */
const MAX_ISSUES = 20;

/** Refuses input the component's `inputSchema` does not admit: VALIDATION_ERROR per pointer. */
export function checkInput(
  component: ComponentDefinition,
  contract: ComponentContract | undefined,
  requestData: RequestData,
): void {
  if (!contract?.input) return;
  // A body is measured in one pass before it is parsed here, on the thread serving every app.
  const http = requestData.input === undefined ? requestData.httpDetails : undefined;
  if (http?.body && http.bodyEncoding === "utf8") {
    const { over } = jsonTextShape(http.body);
    if (over) throw limitExceeded(over, shapeMessage("the request body", over));
  }
  const value = payload(requestData);
  if (valueDepth(value, LIMITS["json.depth"]) > LIMITS["json.depth"]) {
    throw limitExceeded("json.depth", shapeMessage("the input", "json.depth"));
  }
  const issues = failures(contract.input, value);
  if (!issues) return;
  throw new KilnError(
    "VALIDATION_ERROR",
    `the input does not match the inputSchema of component ${quote(component.componentId)}: ${
      summary(issues)
    }`,
    { componentId: component.componentId, issues },
  );
}

/**
 * The component's fault when a `generic` result breaks its `outputSchema`: COMPONENT_FAULT
 * (502) with `details.reason: "outputSchema"`; null when the result keeps its promise.
 */
export function outputFault(
  component: ComponentDefinition,
  contract: ComponentContract | undefined,
  result: ExecuteResponse,
): KilnError | null {
  if (!contract?.output || result.resultType !== "generic") return null;
  if (component.expectedResultFormat === "httpResponse") return null;
  const issues = failures(contract.output, result.data === undefined ? null : result.data);
  if (!issues) return null;
  return new KilnError(
    "COMPONENT_FAULT",
    `component ${quote(component.componentId)} answered output that breaks its outputSchema: ${
      summary(issues)
    }`,
    { reason: "outputSchema", componentId: component.componentId, issues },
  );
}

function failures(schema: ComponentSchema, value: unknown) {
  const check = schema.validator.validate(value);
  if (check.ok) return null;
  return check.issues.slice(0, MAX_ISSUES).map((i) => ({
    pointer: i.pointer,
    message: i.message,
    ...(i.keyword ? { keyword: i.keyword } : {}),
    ...(i.limit ? { limit: i.limit } : {}),
  }));
}

function summary(issues: { pointer: string; message: string }[]): string {
  return issues.map((i) => `${i.pointer || "/"} ${i.message}`).join("; ");
}
