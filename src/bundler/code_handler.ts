import type { ExecuteResponse } from "../models/mod.ts";
import { chooseTier, type HandlerKind, type TierLookup } from "../router/mod.ts";
import type { ExecutionJob, TierName } from "../sandbox/mod.ts";
import type { CodeBundler, JitTask } from "./code_bundler.ts";

/** The sandbox manager as the code kind uses it: look tiers up, run jobs on them. */
export interface CodeSandbox extends TierLookup {
  execute(tier: TierName, job: ExecutionJob): Promise<ExecuteResponse>;
}

/** What the code kind is built from. */
export interface CodeHandlerDeps {
  bundler: Pick<CodeBundler, "load">;
  sandbox: CodeSandbox;
}

/**
 * The `handlerType: jit` kind (hand-written code): picks the tier the component may run on
 * (never lowering isolation), loads its script bundled for that tier, and runs it there.
 */
export function codeHandler(deps: CodeHandlerDeps): HandlerKind {
  return {
    async run(component, invocation) {
      const { appId, requestId, snapshot, requestData, signal } = invocation;
      const decision = chooseTier(component, deps.sandbox);
      invocation.decide(decision);
      const code = await deps.bundler.load({
        appId,
        revision: snapshot.revision,
        task: component.taskDetails as unknown as JitTask,
        accepts: decision.accepts,
      });
      using bound = invocation.bind(component);
      const { context, limits, host } = bound;
      return await deps.sandbox.execute(decision.tier, {
        request: {
          requestId,
          requestData,
          context,
          // The container tier picks its pool from the task (contract §5 `targetPoolName`).
          taskDetails: component.targetPoolName
            ? { ...component.taskDetails, targetPoolName: component.targetPoolName }
            : component.taskDetails,
        },
        code,
        limits,
        host,
        ...(signal ? { signal } : {}),
        ...(snapshot.definition.isolateReuse === "app" ? { isolateReuse: "app" as const } : {}),
      });
    },
  };
}
