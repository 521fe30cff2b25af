import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { eventStream, type SseEvent } from "../_event_stream.ts";
import { requirePermission } from "../../auth/mod.ts";
import { type JsonValue, KilnError } from "../../core/mod.ts";
import type { RunEvent } from "../../workflow/mod.ts";
import type { HttpDeps, KilnEnv } from "../types.ts";
import {
  AppIdParam,
  bodyResponses,
  errorResponses,
  ok,
  overloadedResponse,
  unavailableResponse,
} from "../_schemas.ts";

const TAG = ["workflows"];
const RunParams = AppIdParam.extend({
  runId: z.string().min(1).max(64).openapi({ param: { name: "runId", in: "path" } }),
});
const StartParams = AppIdParam.extend({
  workflowId: z.string().min(1).max(64).openapi({ param: { name: "workflowId", in: "path" } }),
});
const StartBody = z.object({
  input: z.unknown().optional().describe("the run's trigger.body"),
  idempotencyKey: z.string().min(1).max(200).optional()
    .describe("or the Idempotency-Key header: the same key answers the run it started"),
});
const Run = z.object({
  runId: z.string(),
  workflowId: z.string(),
  status: z.enum(["running", "succeeded", "failed", "cancelled"]),
}).loose().openapi("WorkflowRun");
const ListQuery = z.object({
  workflowId: z.string().optional(),
  status: z.enum(["running", "succeeded", "failed", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * Workflow runs (contract §7): start a run (answers its id at once), read it with its
 * step trace, follow its steps as server-sent events, list the app's runs, cancel.
 */
export function workflowRoutes(app: OpenAPIHono<KilnEnv>, deps: HttpDeps): void {
  const engine = async () => {
    const loaded = deps.workflows ?? await deps.load?.workflows();
    if (!loaded) throw new KilnError("UNAVAILABLE", "no workflow engine on this node");
    return loaded;
  };
  const guard = (c: { var: KilnEnv["Variables"] }, appId: string, perm: string) => {
    requirePermission(c.var.principal, appId, perm);
    deps.registry.getApplicationStatus(appId);
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/workflows/{workflowId}/runs",
      operationId: "startRun",
      tags: TAG,
      summary: "Start a workflow run (asynchronous: answers the run id)",
      request: {
        params: StartParams,
        body: { content: { "application/json": { schema: StartBody } } },
      },
      responses: {
        202: { description: "started", content: { "application/json": { schema: Run } } },
        ...errorResponses,
        ...bodyResponses,
        ...overloadedResponse,
        ...unavailableResponse,
      },
    }),
    async (c) => {
      const { appId, workflowId } = c.req.valid("param");
      guard(c, appId, "invoke");
      const body = c.req.valid("json") ?? {};
      const idempotencyKey = body.idempotencyKey ?? c.req.header("idempotency-key");
      const run = await (await engine()).start(
        appId,
        workflowId,
        { source: "api", body: (body.input ?? null) as JsonValue },
        idempotencyKey ? { idempotencyKey } : {},
      );
      const { outputs: _o, trace: _t, ...summary } = run;
      return c.json(summary, 202, { location: `/v1/apps/${appId}/runs/${run.runId}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/runs",
      operationId: "listRuns",
      tags: TAG,
      summary: "List the app's workflow runs, newest first",
      request: { params: AppIdParam, query: ListQuery },
      responses: {
        ...ok(z.object({ runs: z.array(Run) })),
        ...errorResponses,
        ...unavailableResponse,
      },
    }),
    async (c) => {
      const { appId } = c.req.valid("param");
      guard(c, appId, "app:read");
      return c.json({ runs: await (await engine()).list(appId, c.req.valid("query")) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/runs/{runId}",
      operationId: "getRun",
      tags: TAG,
      summary: "A run with its step trace, step outputs and result",
      request: { params: RunParams },
      responses: { ...ok(Run), ...errorResponses, ...unavailableResponse },
    }),
    async (c) => {
      const { appId, runId } = c.req.valid("param");
      guard(c, appId, "app:read");
      return c.json(await (await engine()).get(appId, runId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps/{appId}/runs/{runId}/cancel",
      operationId: "cancelRun",
      tags: TAG,
      summary: "Cancel a running run (a finished one answers as it is)",
      request: { params: RunParams },
      responses: { ...ok(Run), ...errorResponses, ...unavailableResponse },
    }),
    async (c) => {
      const { appId, runId } = c.req.valid("param");
      guard(c, appId, "invoke");
      return c.json(await (await engine()).cancel(appId, runId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps/{appId}/runs/{runId}/events",
      operationId: "streamRunEvents",
      tags: TAG,
      summary: "Step progress as server-sent events: the trace so far, then live, then the end",
      request: { params: RunParams },
      responses: {
        200: {
          description: "`step`, `step.delta` (an llm step's streamed text, live only) and " +
            "`run` events, JSON data",
          content: { "text/event-stream": { schema: z.string() } },
        },
        ...errorResponses,
        ...unavailableResponse,
      },
    }),
    async (c) => {
      const { appId, runId } = c.req.valid("param");
      guard(c, appId, "app:read");
      const wf = await engine();
      // deno-lint-ignore no-explicit-any -- an SSE response is not the route's JSON type
      return await eventStream<RunEvent>(c as any, {
        subscribe: (listener) => wf.subscribe(runId, listener),
        backlog: async () => {
          const run = await wf.get(appId, runId);
          const steps: SseEvent[] = run.trace.map((e) => ({
            event: "step",
            data: {
              type: "step",
              runId,
              status: e.status,
              stepId: e.stepId,
              attempt: e.attempt,
              at: e.endedAt,
              ...(e.error ? { error: e.error } : {}),
            } satisfies RunEvent,
          }));
          if (run.status === "running") return steps;
          const end: RunEvent = {
            type: "run",
            runId,
            status: run.status,
            at: run.endedAt ?? run.updatedAt,
            ...(run.error ? { error: run.error } : {}),
          };
          return [...steps, { event: "run", data: end, end: true }];
        },
        live: (e) => ({ event: e.type, data: e, end: e.type === "run" }),
      });
    },
  );
}
