/**
 * Tenant isolation of building component code: an app may ship a megabyte of TypeScript per file,
 * and esbuild works synchronously for seconds over it. The build runs on Kiln's esbuild worker,
 * so registering such an app and serving its first request leave every other app served.
 */
import assert from "node:assert/strict";
import { LIMITS } from "../src/core/mod.ts";
import { fetchJson, startAttackKiln, underAttack } from "./_support/attack.ts";

/** Just under `definition.bytes` of TypeScript: thousands of small exported functions. */
function bigScript(): string {
  const lines = [];
  for (let i = 0, size = 0; size < LIMITS["definition.bytes"] - 200; i++) {
    const line = `export function handler${i}(input: { value: number }): string {\n` +
      `  const doubled: number = (input?.value ?? ${i}) * 2 + ${i % 7};\n` +
      `  return \`handler ${i}: \${doubled}\`.padEnd(${i % 40}, "x");\n}\n`;
    size += line.length;
    lines.push(line);
  }
  return lines.join("");
}

const registry = (big: boolean) =>
  `components:
  - componentId: small
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/small.ts, function: small, language: typescript }
    routeMatcher: { pathPattern: /small, methods: [GET] }
` + (big
    ? `  - componentId: big
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/main.ts, function: handler1, language: typescript }
    routeMatcher: { pathPattern: /big, methods: [GET] }
    limits: { timeoutMs: 60000 }
`
    : "");

Deno.test("an app's megabyte of TypeScript builds off Kiln's main thread", async () => {
  const kiln = await startAttackKiln();
  try {
    const source = bigScript();
    assert.ok(source.length > 1_000_000, `${source.length} bytes`);
    // The megabyte goes in first, unused: storing it is the state layer's work, not the build's.
    await kiln.register({
      "app_definition.yaml": "appId: big\ndisplayName: big\nversion: 1.0.0\n",
      "component_registry.yaml": registry(false),
      "code/main.ts": source,
      "code/small.ts": "export function small() { return { small: true }; }\n",
    });
    assert.equal((await fetchJson(kiln, "/apps/big/small")).status, 200);
    const { revision } = (await kiln.api("GET", "/v1/apps/big")).json;
    // What registering a megabyte leaves running (storing, indexing) is not under test here.
    await new Promise((r) => setTimeout(r, 1_000));
    const { result, bystander } = await underAttack(kiln, async () => {
      // A small commit that puts the megabyte to use: Kiln builds it at once, and on the first
      // request if it is not done by then.
      const edit = await kiln.api("PUT", "/v1/apps/big/definitions/file", {
        path: "component_registry.yaml",
        content: registry(true),
        expectedBaseRevision: revision,
        commitMessage: "Serve the big script",
      });
      assert.equal(edit.status, 200, JSON.stringify(edit.json));
      const started = performance.now();
      const res = await fetchJson(kiln, "/apps/big/big");
      return { ...res, ms: performance.now() - started };
    });
    assert.equal(result.status, 200, JSON.stringify(result.json));
    assert.equal(result.json, "handler 1: 3");
    // On the main thread the build stalled every request for its whole length (seconds), which
    // p99 alone could miss among hundreds of calls. The commit itself holds the event loop for
    // up to ~1 s at load 12 (storing and checking the revision, not building it).
    assert.ok(
      bystander.max < 1_500,
      `the bystander waited ${bystander.max.toFixed(0)} ms while the app built (${
        result.ms.toFixed(0)
      } ms to its first answer)`,
    );
    assert.equal((await fetchJson(kiln, "/apps/big/small")).status, 200);
  } finally {
    await kiln.stop();
  }
});
