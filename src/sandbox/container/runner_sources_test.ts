import assert from "node:assert/strict";
import { RUNNER_SOURCES } from "../../generated/runner_sources.ts";

Deno.test("the embedded runner sources match sandbox-images/ (run scripts/gen_runner_sources.ts)", async () => {
  const root = new URL("../../../", import.meta.url);
  assert.deepEqual(Object.keys(RUNNER_SOURCES).sort(), [
    "sandbox-images/deno-runner/command.js",
    "sandbox-images/deno-runner/container.js",
    "sandbox-images/deno-runner/guest.js",
    "sandbox-images/deno-runner/output.js",
    "sandbox-images/deno-runner/runner.js",
    "sandbox-images/python-runner/command.py",
    "sandbox-images/python-runner/container.py",
    "sandbox-images/python-runner/guest.py",
    "sandbox-images/python-runner/runner.py",
  ]);
  for (const [path, text] of Object.entries(RUNNER_SOURCES)) {
    assert.equal(text, await Deno.readTextFile(new URL(path, root)), `${path} is stale`);
  }
});
