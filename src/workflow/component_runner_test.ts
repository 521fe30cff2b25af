import assert from "node:assert/strict";
import { ComponentDefinition } from "../models/mod.ts";
import { triggerOf, workflowComponentRunner } from "./component_runner.ts";
import type { RunRecord } from "./types.ts";

Deno.test("triggerOf() gives HTTP requests a parsed JSON body and tool calls their input", () => {
  const http = triggerOf({
    source: "http",
    httpDetails: {
      method: "POST",
      path: "/t",
      routePattern: "/t",
      pathParameters: {},
      queryParameters: { q: "1" },
      headers: {},
      body: '{"seats": 3}',
      bodyEncoding: "utf8",
    },
  }) as Record<string, unknown>;
  assert.deepEqual(http.body, { seats: 3 });
  assert.deepEqual(http.queryParameters, { q: "1" });
  assert.deepEqual(triggerOf({ source: "internal", input: { a: 1 } }), {
    source: "internal",
    body: { a: 1 },
  });
});

Deno.test("a failed run answers resultType error with its code, run and step", async () => {
  const component = ComponentDefinition.parse({
    componentId: "w",
    handlerType: "workflow",
    taskDetails: { workflowId: "wf" },
  });
  const runner = workflowComponentRunner({
    run: () =>
      Promise.resolve({
        runId: "r1",
        result: { resultType: "error", data: { code: "TOO_URGENT", message: "no", stepId: "x" } },
      } as unknown as RunRecord),
  });
  const res = await runner.execute({
    appId: "a",
    requestId: "q",
    component,
    requestData: { source: "internal", input: {} },
  });
  assert.equal(res.resultType, "error");
  assert.deepEqual(res.data, {
    code: "TOO_URGENT",
    message: "no",
    details: { runId: "r1", stepId: "x" },
  });
});

Deno.test("a workflow component past its limits.timeoutMs is cancelled and answers EXECUTION_TIMEOUT", async () => {
  const component = ComponentDefinition.parse({
    componentId: "w",
    handlerType: "workflow",
    taskDetails: { workflowId: "wf" },
    limits: { timeoutMs: 1 },
  });
  const runner = workflowComponentRunner({
    run: (_a, _w, _i, opts) =>
      new Promise((resolve) =>
        opts?.signal?.addEventListener(
          "abort",
          () => resolve({ runId: "r2", status: "cancelled" } as unknown as RunRecord),
        )
      ),
  });
  const res = await runner.execute({
    appId: "a",
    requestId: "q",
    component,
    requestData: { source: "internal", input: {} },
  });
  assert.equal(res.resultType, "error");
  assert.equal((res.data as { code: string }).code, "EXECUTION_TIMEOUT");
  assert.match((res.data as { message: string }).message, /"w" ran past its 1 ms limit/);
});
