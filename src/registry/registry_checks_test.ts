import assert from "node:assert/strict";
import { componentRegistryIssues } from "./registry_checks.ts";

const component = (pathPattern: string) => ({
  componentId: "a",
  handlerType: "jit",
  taskDetails: { script: "code/a.ts", function: "run", language: "typescript" },
  routeMatcher: { pathPattern, methods: ["GET"] },
});

Deno.test("componentRegistryIssues() refuses a route over route.params, naming its component", () => {
  const many = "/" + Array.from({ length: 2000 }, (_, i) => `:p${i}`).join("/");
  const issues = componentRegistryIssues("component_registry.yaml", {
    components: [component("/ok/:id"), { ...component(many), componentId: "b" }],
  });
  assert.deepEqual(issues.map((i) => [i.path, i.field, i.limit]), [[
    "component_registry.yaml",
    "components.1.routeMatcher.pathPattern",
    "route.params",
  ]]);
  assert.match(issues[0].message, /expected at most 32 :params; found 2000/);
  assert.deepEqual(
    componentRegistryIssues("component_registry.yaml", { components: [component("/a/:id")] }),
    [],
  );
});
