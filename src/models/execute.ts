import { z } from "zod";
import { Configuration } from "./_common.ts";

/** The HTTP request a component is invoked for. */
export const HttpDetails = z.object({
  method: z.string(),
  path: z.string(),
  routePattern: z.string(),
  pathParameters: z.record(z.string(), z.string()).default({}),
  queryParameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().nullable().default(null),
  bodyEncoding: z.enum(["utf8", "base64"]).default("utf8"),
});

/** What caused an execution and its source-specific details (contract §5). */
export const RequestData = z.object({
  source: z.enum(["http", "trigger", "callback", "queue", "cron", "internal"]),
  httpDetails: HttpDetails.optional(),
  triggerDetails: z.record(z.string(), z.unknown()).optional(),
  callbackDetails: z.record(z.string(), z.unknown()).optional(),
  queueDetails: z.record(z.string(), z.unknown()).optional(),
  cronDetails: z.record(z.string(), z.unknown()).optional(),
  internalDetails: z.record(z.string(), z.unknown()).optional(),
  input: z.unknown().optional(),
});
export type RequestData = z.infer<typeof RequestData>;

/** Everything a sandbox may know about its execution, including its MCP credentials. */
export const ExecutionContext = z.object({
  appId: z.string(),
  componentId: z.string(),
  workflowInfo: z.object({
    workflowId: z.string(),
    runId: z.string(),
    stepId: z.string(),
  }).optional(),
  mcp_endpoint: z.string(),
  mcp_token: z.string(),
  deadline: z.string().describe("ISO 8601 instant after which the result is discarded"),
  userInfo: z.record(z.string(), z.unknown()).optional(),
  sessionId: z.string().optional(),
  configuration: Configuration.default({}),
  applicationInfo: z.object({
    appId: z.string(),
    displayName: z.string(),
    version: z.string(),
    revision: z.string(),
  }),
});
export type ExecutionContext = z.infer<typeof ExecutionContext>;

/** `POST /execute` request body, the same for every tier (contract §5). */
export const ExecuteRequest = z.object({
  requestId: z.string().min(1),
  requestData: RequestData,
  context: ExecutionContext,
  taskDetails: z.record(z.string(), z.unknown()),
});
export type ExecuteRequest = z.infer<typeof ExecuteRequest>;

/** `resultType: httpResponse` data, proxied to the caller as is. */
export const HttpResponseData = z.object({
  statusCode: z.number().int().min(100).max(599),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().nullable().default(null),
  bodyEncoding: z.enum(["utf8", "base64"]).default("utf8"),
});

/** `resultType: error` data. */
export const ErrorData = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});

/** Per-tool MCP usage during one execution. */
export const McpCallMetric = z.object({
  tool: z.string(),
  count: z.number().int().min(0),
  total_duration_ms: z.number().min(0),
  token_usage: z.object({
    promptTokens: z.number().int().min(0),
    completionTokens: z.number().int().min(0),
  }).optional(),
  /** For `core.llm.generate`: whether the answer came from a model or a recorded cassette. */
  provenance: z.enum(["live", "recording"]).optional(),
});

/** `POST /execute` 200 response body (contract §5). */
export const ExecuteResponse = z.object({
  requestId: z.string(),
  resultType: z.enum(["generic", "httpResponse", "error", "workflowStep"]),
  data: z.unknown(),
  metrics: z.object({
    execution_time_ms: z.number().min(0),
    mcp_calls: z.array(McpCallMetric).default([]),
  }),
});
export type ExecuteResponse = z.infer<typeof ExecuteResponse>;
