import type { ComponentDefinition, ExecuteResponse } from "../models/mod.ts";
import { chooseTier, type HandlerKind, limitsOf, type TierLookup } from "../router/mod.ts";
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

/** Components one `prepareCode` call builds at most (the rest build on their first request). */
const MAX_PREPARED = 32;

/**
 * Gets an app ready to serve before its first request (the app was registered or serves a new
 * revision): each jit component's bundle is built for the tier it will run on, one at a time,
 * while each tier it runs on readies the app's sandbox (the isolate tier: the app's own host
 * process). A request arriving meanwhile shares the build in flight. Resolves once all of it is
 * done; never rejects: what fails here fails again, with its error, on the request.
 */
export async function prepareCode(
  deps: CodeHandlerDeps,
  appId: string,
  revision: string,
  components: Iterable<ComponentDefinition>,
): Promise<void> {
  let left = MAX_PREPARED;
  const sandboxes = new Map<string, Promise<void>>();
  for (const component of components) {
    const task = component.taskDetails as unknown as Partial<JitTask> | undefined;
    if (component.handlerType !== "jit" || typeof task?.script !== "string") continue;
    if (left-- <= 0) break;
    try {
      const decision = chooseTier(component, deps.sandbox);
      const found = deps.sandbox.driver(decision.tier);
      const { memoryMb } = limitsOf(component);
      const key = `${decision.tier}@${memoryMb}`;
      if ("driver" in found && found.driver.prepare && !sandboxes.has(key)) {
        sandboxes.set(key, found.driver.prepare(appId, memoryMb).catch(() => {}));
      }
      await deps.bundler.load({
        appId,
        revision,
        task: task as JitTask,
        accepts: decision.accepts,
      });
    } catch { /* the component's first request reports it */ }
  }
  await Promise.all(sandboxes.values());
}
