import assert from "node:assert/strict";
import { parse } from "yaml";
import { skeletonFiles } from "./skeleton.ts";

Deno.test("skeletonFiles() writes a UHLP app whose component and workflow line up", () => {
  const files = skeletonFiles({
    appId: "new-app",
    displayName: 'A "quoted" name',
    description: "",
    componentId: "greet",
    pathPattern: "/greet/:who",
    withWorkflow: true,
  });
  const app = parse(files["app_definition.yaml"]);
  assert.equal(app.appId, "new-app");
  assert.equal(app.displayName, 'A "quoted" name');
  const [component] = parse(files["component_registry.yaml"]).components;
  assert.equal(component.taskDetails.script, "code/greet.ts");
  assert.ok(files["code/greet.ts"].includes("export function handle"));
  assert.equal(parse(files["workflows/hello.yaml"]).startAt, "pause");
});
