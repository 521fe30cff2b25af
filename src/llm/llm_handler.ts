import { KilnError, quote } from "../core/mod.ts";
import type { ExecuteResponse } from "../models/mod.ts";
import type { HandlerKind, TierLookup } from "../router/mod.ts";
import type { ExecutionJob, TierName } from "../sandbox/mod.ts";
import type { LlmRunner } from "./llm_runner.ts";
import { LLM_TASK_TOOLS, llmTaskCode } from "./llm_task_code.ts";

/** What the llm kind is built from. */
export interface LlmHandlerDeps {
  runner: Pick<LlmRunner, "run">;
  /** The sandbox manager, for components whose trust or runtime asks for a container. */
  sandbox: TierLookup & { execute(tier: TierName, job: ExecutionJob): Promise<ExecuteResponse> };
}

/**
 * The `handlerType: llm` kind: the component runs on the host, or, when its trust or
 * runtime asks for a container, as the bundled LLM runner in the container tier; either way the
 * model call goes through the tool registry as this execution, whose token allows what the
 * runner needs.
 */
export function llmHandler(deps: LlmHandlerDeps): HandlerKind {
  return {
    async run(component, invocation) {
      const { requestId, requestData, signal } = invocation;
      const permissions = [...new Set([...component.permissions, ...LLM_TASK_TOOLS])];
      const sandboxed = component.runtime === "container" || component.trust === "untrusted";
      if (!sandboxed) {
        using bound = invocation.bind({ ...component, permissions });
        return await deps.runner.run(component, requestData, bound.context, bound.host, {
          requestId,
        });
      }
      const found = deps.sandbox.driver("container");
      const why = component.runtime === "container"
        ? "runtime container pinned"
        : "trust untrusted";
      if ("unavailable" in found) {
        throw new KilnError(
          "TIER_UNAVAILABLE",
          `llm component ${quote(component.componentId)} must run in a container (${why}): ` +
            found.unavailable,
          { componentId: component.componentId, tier: "container" },
        );
      }
      invocation.decide({
        tier: "container",
        reason: `llm: ${why} -> container`,
        accepts: found.driver.accepts,
      });
      using bound = invocation.bind({ ...component, permissions });
      const { context, limits, host } = bound;
      return await deps.sandbox.execute("container", {
        request: { requestId, requestData, context, taskDetails: component.taskDetails },
        code: await llmTaskCode(component),
        limits,
        host,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
