/**
 * `jit` and `llm` steps through the request router, so they run in the tier that fits the
 * component, with its limits and permissions. A step names a component (`target.componentId`)
 * or the code or prompt one runs (`script` + `function`, `promptTemplate`), which finds it.
 */
import { type JsonValue, KilnError, quote } from "../core/mod.ts";
import type { DeltaListener, ToolCaller } from "../mcp/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { ComponentCall, ComponentInvoker } from "./seams.ts";

/** The part of the router a workflow needs. */
export interface ComponentRouter {
  invoke(
    appId: string,
    componentId: string,
    input: unknown,
    caller: ToolCaller,
    opts?: { signal?: AbortSignal; requestId?: string; onDelta?: DeltaListener },
  ): Promise<Record<string, unknown>>;
}

/** A {@link ComponentInvoker} backed by `Router.invoke`. */
export function routerComponentInvoker(
  router: ComponentRouter,
  registry: Pick<Registry, "snapshot">,
  now: () => number = Date.now,
): ComponentInvoker {
  return {
    async invoke(call) {
      const component = findComponent(call, registry.snapshot(call.appId).components);
      const caller: ToolCaller = {
        kind: "execution",
        appId: call.appId,
        componentId: call.workflowId,
        tools: [],
        expiresAt: now() + 300_000,
      };
      return await router.invoke(call.appId, component.componentId, call.input, caller, {
        signal: call.signal,
        requestId: `${call.runId}:${call.stepId}`,
        ...(call.onDelta ? { onDelta: call.onDelta } : {}),
      }) as JsonValue;
    },
  };
}

/** The component a step's target names. */
export function findComponent(
  call: Pick<ComponentCall, "appId" | "stepId" | "type" | "target">,
  components: ReadonlyMap<string, ComponentDefinition>,
): ComponentDefinition {
  const t = call.target;
  if (typeof t.componentId === "string") {
    const named = components.get(t.componentId);
    if (named) return named;
  } else {
    for (const c of components.values()) {
      const d = c.taskDetails;
      const same = call.type === "jit"
        ? d.script === t.script && d.function === t.function
        : d.promptTemplate !== undefined && d.promptTemplate === t.promptTemplate;
      if (c.handlerType === call.type && same) return c;
    }
  }
  throw new KilnError(
    "COMPONENT_NOT_FOUND",
    `step ${quote(call.stepId)} names no ${call.type} component of app ${quote(call.appId)} (${
      quote(t)
    })`,
  );
}
