import type { HandlerKind } from "../router/mod.ts";
import { workflowComponentRunner } from "./component_runner.ts";
import type { WorkflowEngine } from "./engine.ts";

/** The `handlerType: workflow` kind: the workflow runs to its end on the engine. */
export function workflowHandler(engine: Pick<WorkflowEngine, "run">): HandlerKind {
  const runner = workflowComponentRunner(engine);
  return {
    run: (component, invocation) =>
      runner.execute({
        appId: invocation.appId,
        requestId: invocation.requestId,
        component,
        requestData: invocation.requestData,
        userInfo: invocation.userInfo,
        signal: invocation.signal,
      }),
  };
}
