import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { bundleEsm, esmToIife, IIFE_GLOBAL, type ReadFile, SDK_MODULE } from "./_esbuild.ts";

const reader = (files: Record<string, string>): ReadFile => (path) =>
  Promise.resolve(path in files ? files[path] : null);

async function buildFails(files: Record<string, string>, entry = "code/main.ts") {
  const err = await bundleEsm(entry, reader(files)).then(
    () => assert.fail("expected the build to fail"),
    (e) => e,
  );
  assert.ok(err instanceof KilnError);
  assert.equal(err.code, "COMPONENT_BUILD_FAILED");
  return err;
}

/** Evaluates an ESM bundle the way the isolate tier does, with `kiln` as the SDK globals. */
/** Imports an ESM bundle with `globalThis.__kiln` set as a tier sets it; `done` unsets it. */
async function runEsm(source: string, kiln: unknown) {
  const g = globalThis as Record<string, unknown>;
  g.__kiln = kiln;
  const mod = await import(
    `data:text/javascript;base64,${btoa(unescape(encodeURIComponent(source)))}`
  );
  return { ...mod, done: () => delete g.__kiln };
}

Deno.test("bundleEsm() resolves kiln:sdk to the SDK globals and bundles relative imports", async () => {
  const files = {
    "code/main.ts": `import { mcp, log } from "kiln:sdk";
import { double } from "./lib/math.ts";
import config from "../data/config.json";
export async function run(n: number): Promise<unknown> {
  log.info("running");
  return { doubled: double(n), tool: await mcp.call("t", {}), label: config.label };
}`,
    "code/lib/math.ts": "export const double = (n: number): number => n * 2;\n",
    "data/config.json": '{"label": "from json"}',
  };
  const bundle = await bundleEsm("code/main.ts", reader(files));
  assert.deepEqual(bundle.exports, ["run"]);
  assert.deepEqual([...bundle.inputs.keys()].sort(), [
    "code/lib/math.ts",
    "code/main.ts",
    "data/config.json",
  ]);
  assert.ok(bundle.source.includes("globalThis.__kiln"));
  assert.ok(!bundle.source.includes("import "), "one self-contained module");
  const logged: string[] = [];
  const mod = await runEsm(bundle.source, {
    mcp: { call: (tool: string) => Promise.resolve(`called ${tool}`) },
    log: { info: (m: string) => logged.push(m) },
  });
  assert.deepEqual(await mod.run(21), { doubled: 42, tool: "called t", label: "from json" });
  assert.deepEqual(logged, ["running"]);
  mod.done();
  assert.match(SDK_MODULE, /globalThis as \{ __kiln\?: KilnGlobal \}/);
});

Deno.test("bundleEsm() refuses every import but kiln:sdk and the app's own files", async () => {
  for (
    const [spec, why] of [
      ["npm:left-pad", /npm: imports are refused/],
      ["jsr:@std/fs", /jsr: imports are refused/],
      ["node:fs", /node: imports are refused/],
      ["https://example.com/x.ts", /https: imports are refused/],
      ["file:///etc/passwd", /file: imports are refused/],
      ["data:text/javascript,export default 1", /data: imports are refused/],
      ["left-pad", /bare package imports are refused/],
      ["/etc/passwd", /absolute paths are refused/],
    ] as const
  ) {
    const err = await buildFails({
      "code/main.ts": `import x from "${spec}"; export const y = x;`,
    });
    assert.match(err.message, why, spec);
    assert.match(err.message, /^script "code\/main.ts" does not build: code\/main.ts:1:/);
    const details = err.details as { errors: { file: string; line: number }[] };
    assert.equal(details.errors[0].file, "code/main.ts");
  }
  const required = await buildFails({
    "code/main.js": `const fs = require("fs"); export const y = fs;`,
  }, "code/main.js");
  assert.match(required.message, /bare package imports are refused/);
});

Deno.test("bundleEsm() keeps relative imports inside state/", async () => {
  const escape = await buildFails({
    "code/main.ts": `import x from "../../secret.ts"; export const y = x;`,
  });
  assert.match(escape.message, /escapes the app's state\/ tree/);
  const git = await buildFails({
    "code/main.ts": `import x from "../.git/config.ts"; export const y = x;`,
  });
  assert.match(git.message, /\.git folder/);
  const missing = await buildFails({ "code/main.ts": `export { x } from "./nope.ts";` });
  assert.match(missing.message, /"code\/nope.ts" does not exist at this revision/);
  const kind = await buildFails({ "code/main.ts": `import x from "./a.wasm"; export { x };` });
  assert.match(kind.message, /only .ts, .tsx, .js/);
});

Deno.test("bundleEsm() reports syntax errors with file, line and column", async () => {
  const err = await buildFails({ "code/main.ts": "export const a = 1;\nexport const b = ;\n" });
  const details = err.details as { errors: { file: string; line: number; column: number }[] };
  assert.deepEqual(
    { file: details.errors[0].file, line: details.errors[0].line },
    { file: "code/main.ts", line: 2 },
  );
  assert.match(err.message, /code\/main.ts:2:\d+: Unexpected ";"/);
});

Deno.test("esmToIife() leaves the exports on globalThis.__kilnModule", async () => {
  const bundle = await bundleEsm(
    "code/main.ts",
    reader({ "code/main.ts": "export const answer = (): number => 42; export const other = 1;" }),
  );
  const script = await esmToIife("code/main.ts", bundle.source);
  const g = globalThis as Record<string, unknown>;
  try {
    (0, eval)(script);
    const mod = g[IIFE_GLOBAL] as { answer(): number; other: number };
    assert.equal(mod.answer(), 42);
    assert.equal(mod.other, 1);
  } finally {
    delete g[IIFE_GLOBAL];
  }
  const tla = await esmToIife("code/main.ts", "const v = await 1; export { v };").catch((e) => e);
  assert.ok(tla instanceof KilnError && tla.code === "COMPONENT_BUILD_FAILED");
  assert.match(tla.message, /Top-level await/);
});
