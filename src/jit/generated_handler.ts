import { KilnError } from "../core/mod.ts";
import type { ComponentDefinition } from "../models/mod.ts";
import type { HandlerKind, Invocation } from "../router/mod.ts";
import { generatedTask } from "./activation.ts";
import { llmDefinition } from "./generator.ts";
import type { JitHooks } from "./jit_hooks.ts";

/** What the generated-code kind is built from. */
export interface GeneratedCodeDeps {
  /** The hand-written code kind: generated code is code like any other once it is committed. */
  code: HandlerKind;
  /** The llm kind, for the llm definition a generated version replaced. */
  llm: HandlerKind;
  hooks: Pick<JitHooks, "checkOutput" | "servedByCode" | "fellBack">;
}

/**
 * The `handlerType: jit` kind with the JIT loop around it. Hand-written code runs as
 * the code kind runs it. Generated code answers unless it fails or breaks the output schema —
 * then the LLM definition it replaced answers instead, so a bad generation costs latency, never
 * a wrong or failed response. Successful answers feed the shadow checks. Generated code runs
 * with no tool permissions whatever the llm definition declared: the gate refuses every tool
 * call, so nothing it judged ever used one, and code must not get to do unjudged things live.
 */
export function generatedCode(deps: GeneratedCodeDeps): HandlerKind {
  return {
    async run(component, invocation) {
      if (!generatedTask(component)) return await deps.code.run(component, invocation);
      const { appId } = invocation;
      const llm = llmDefinition(component);
      let why: string;
      try {
        const result = await deps.code.run(withoutTools(component), invocation);
        const broken = result.resultType === "error"
          ? `${(result.data as { code?: string })?.code ?? "error"}`
          : await deps.hooks.checkOutput(appId, invocation.snapshot.revision, llm, result.data);
        if (!broken) {
          deps.hooks.servedByCode(
            appId,
            component,
            result,
            () => deps.llm.run(llm, shadowOf(invocation)),
          );
          return result;
        }
        why = broken;
      } catch (err) {
        if (!(err instanceof KilnError)) throw err;
        why = err.code;
      }
      deps.hooks.fellBack(appId, component.componentId, why);
      invocation.decide(undefined);
      return await deps.llm.run(llm, invocation);
    },
  };
}

/**
 * The invocation a shadow check asks the LLM as: it runs after the response went out, so it
 * neither changes the tier the response reported nor is cancelled with the caller's request.
 */
function shadowOf(invocation: Invocation): Invocation {
  const { appId, requestId, snapshot, requestData, userInfo } = invocation;
  return {
    appId,
    requestId,
    snapshot,
    requestData,
    ...(userInfo ? { userInfo } : {}),
    bind: (component) => invocation.bind(component),
    decide: () => {},
  };
}

/** The generated component as it executes: its execution token allows no tool. */
function withoutTools(component: ComponentDefinition): ComponentDefinition {
  return { ...component, permissions: [] };
}
