import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { ComponentDefinition } from "../models/mod.ts";
import { findComponent, routerComponentInvoker } from "./router_invoker.ts";

const components = new Map(
  [
    {
      componentId: "score",
      handlerType: "jit",
      taskDetails: { script: "code/s.ts", function: "score", language: "typescript" },
    },
    { componentId: "classify", handlerType: "llm", taskDetails: { promptTemplate: "classify" } },
  ].map((c) => [c.componentId, ComponentDefinition.parse(c)]),
);
const call = (type: "jit" | "llm", target: Record<string, unknown>) => ({
  appId: "a",
  stepId: "s",
  type,
  target,
});

Deno.test("findComponent() finds a step's component by id, by script + function, or by prompt", () => {
  assert.equal(
    findComponent(call("jit", { componentId: "score" }), components).componentId,
    "score",
  );
  const byCode = findComponent(call("jit", { script: "code/s.ts", function: "score" }), components);
  assert.equal(byCode.componentId, "score");
  const byPrompt = findComponent(call("llm", { promptTemplate: "classify" }), components);
  assert.equal(byPrompt.componentId, "classify");
});

Deno.test("findComponent() names the step and target when nothing runs it", () => {
  assert.throws(
    () => findComponent(call("jit", { script: "code/s.ts", function: "other" }), components),
    (err: unknown) =>
      err instanceof KilnError && err.code === "COMPONENT_NOT_FOUND" &&
      /step "s"/.test(err.message),
  );
  assert.throws(() => findComponent(call("llm", { prompt: "hi" }), components), KilnError);
});

Deno.test("routerComponentInvoker() invokes the component as the workflow's execution", async () => {
  const seen: unknown[] = [];
  const invoker = routerComponentInvoker(
    {
      invoke: (appId, componentId, input, caller, opts) => {
        seen.push({ appId, componentId, input, kind: caller.kind, requestId: opts?.requestId });
        return Promise.resolve({ ok: true });
      },
    },
    { snapshot: () => ({ components }) as never },
    () => 0,
  );
  const out = await invoker.invoke({
    appId: "a",
    revision: "r",
    workflowId: "wf",
    runId: "run1",
    stepId: "s",
    type: "jit",
    target: { componentId: "score" },
    input: { n: 1 },
    signal: new AbortController().signal,
  });
  assert.deepEqual(out, { ok: true });
  assert.deepEqual(seen, [{
    appId: "a",
    componentId: "score",
    input: { n: 1 },
    kind: "execution",
    requestId: "run1:s",
  }]);
});
