import type { HandlerKind } from "../router/mod.ts";
import type { JitHooks } from "./jit_hooks.ts";

/**
 * The llm kind with the JIT loop watching: every answer of an llm component is
 * counted and, per the app's sampling config, recorded as a sample the oracle and generation
 * learn from.
 */
export function sampled(llm: HandlerKind, hooks: Pick<JitHooks, "recordLlm">): HandlerKind {
  return {
    async run(component, invocation) {
      const result = await llm.run(component, invocation);
      hooks.recordLlm(invocation.appId, component, invocation.requestData, result);
      return result;
    },
  };
}
