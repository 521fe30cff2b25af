import assert from "node:assert/strict";
import { fixtureComponent } from "../../../../tests/fixtures/components/_base64.ts";
import {
  HANDLE_ONE_ARG,
  offWorldComponent,
  RUN_NOT_HANDLE,
} from "../../../../tests/fixtures/components/build.ts";
import { componentSurface, handlerWorldProblems } from "./handler_world.ts";

Deno.test("handlerWorldProblems() accepts a component implementing the handler world", async () => {
  assert.deepEqual(await handlerWorldProblems(await fixtureComponent("echo"), "handle"), []);
  const surface = await componentSurface(await fixtureComponent("echo"));
  assert.deepEqual([...surface.exports], [[
    "handle",
    "func(string, string) -> result<string, string>",
  ]]);
  assert.deepEqual(surface.imports, ["kiln:host/mcp", "kiln:host/log"]);
});

Deno.test("handlerWorldProblems() names a missing export and what the component has", async () => {
  const bytes = await offWorldComponent(...RUN_NOT_HANDLE);
  const problems = await handlerWorldProblems(bytes, "handle");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /does not export "handle"/);
  assert.match(problems[0], /export handle: func\(string, string\) -> result<string, string>/);
  assert.match(problems[0], /it exports "run"/);
  assert.deepEqual(await handlerWorldProblems(bytes, "run"), [], "an entry of another name");
});

Deno.test("handlerWorldProblems() refuses an export of the wrong signature, quoting both", async () => {
  const bytes = await offWorldComponent(...HANDLE_ONE_ARG);
  const problems = await handlerWorldProblems(bytes, "handle");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /export "handle" is `func\(string\) -> string`/);
  assert.match(problems[0], /expects `func\(string, string\) -> result<string, string>`/);
});

Deno.test("handlerWorldProblems() refuses bytes that are not a component", async () => {
  const core = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  const problems = await handlerWorldProblems(core, "handle");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /not a WebAssembly component/);
});
