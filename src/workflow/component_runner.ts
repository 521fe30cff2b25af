/**
 * A `handlerType: workflow` component, run synchronously for the router: the request becomes
 * the run's `trigger` (`trigger.body` is the JSON body or the tool input), the run goes to its
 * end (within the component's `limits.timeoutMs`, cancelled past it), and its result answers as
 * an `/execute` response — `error` for a failed run.
 */
import {
  jsonTextShape,
  type JsonValue,
  limitExceeded,
  LIMITS,
  quote,
  shapeMessage,
} from "../core/mod.ts";
import type { ComponentDefinition, ExecuteResponse, RequestData } from "../models/mod.ts";
import type { WorkflowEngine } from "./engine.ts";

/** What the router hands a workflow component. */
export interface WorkflowComponentCall {
  appId: string;
  requestId: string;
  component: ComponentDefinition;
  requestData: RequestData;
  userInfo?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** Runs workflow components for the router. */
export interface WorkflowComponentRunner {
  execute(call: WorkflowComponentCall): Promise<ExecuteResponse>;
}

/** The runner over `engine`. */
export function workflowComponentRunner(
  engine: Pick<WorkflowEngine, "run">,
): WorkflowComponentRunner {
  return {
    async execute(call) {
      const started = performance.now();
      const workflowId = String(call.component.taskDetails.workflowId);
      const idempotencyKey = call.requestData.httpDetails?.headers["idempotency-key"];
      const limitMs = call.component.limits?.timeoutMs;
      const deadline = limitMs ? AbortSignal.timeout(limitMs) : undefined;
      const signals = [call.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const run = await engine.run(call.appId, workflowId, triggerOf(call.requestData), {
        ...(idempotencyKey ? { idempotencyKey } : {}),
        context: {
          componentId: call.component.componentId,
          requestId: call.requestId,
          ...(call.userInfo ? { userInfo: call.userInfo as JsonValue } : {}),
        },
        ...(signal ? { signal } : {}),
      });
      const timedOut = deadline?.aborted && run.status === "cancelled";
      const result = timedOut
        ? {
          resultType: "error" as const,
          data: {
            code: "EXECUTION_TIMEOUT",
            message: `workflow component ${
              quote(call.component.componentId)
            } ran past its ${limitMs} ms limit`,
          },
        }
        : run.result ?? {
          resultType: "error" as const,
          data: { code: "WORKFLOW_FAILED", message: `run ${run.runId} did not finish` },
        };
      return {
        requestId: call.requestId,
        resultType: result.resultType,
        data: result.resultType === "error" ? errorData(result.data, run.runId) : result.data,
        metrics: {
          execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
          mcp_calls: [],
        },
      };
    },
  };
}

function errorData(data: JsonValue, runId: string): JsonValue {
  const e = (data ?? {}) as Record<string, JsonValue>;
  return {
    code: String(e.code ?? "WORKFLOW_FAILED"),
    message: String(e.message ?? "the workflow failed"),
    details: {
      runId,
      ...(e.stepId ? { stepId: e.stepId } : {}),
      ...(e.details !== undefined ? { cause: e.details } : {}),
    },
  };
}

/** The `trigger` of a run a request starts. */
export function triggerOf(requestData: RequestData): JsonValue {
  const http = requestData.httpDetails;
  if (!http) return { source: requestData.source, body: (requestData.input ?? null) as JsonValue };
  let body: JsonValue = http.body;
  if (http.body !== null && http.bodyEncoding === "utf8") {
    // The run is stored and walked as JSON: its input is held to the nesting budget first.
    const { over } = jsonTextShape(http.body);
    if (over) {
      throw limitExceeded(over, shapeMessage("the request body", over), { max: LIMITS[over] });
    }
    try {
      body = JSON.parse(http.body);
    } catch {
      // not JSON: the workflow sees the text
    }
  }
  return {
    source: "http",
    body,
    method: http.method,
    path: http.path,
    pathParameters: http.pathParameters,
    queryParameters: http.queryParameters,
    headers: http.headers,
  };
}
