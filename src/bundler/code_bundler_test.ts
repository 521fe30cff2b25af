import assert from "node:assert/strict";
import { minimalApp, startKiln, type TestKiln } from "../../tests/_support/kiln.ts";
import { KilnError } from "../core/mod.ts";
import { CodeBundler, type CodeRequest, type JitTask } from "./code_bundler.ts";

const ESM = { javascript: "esm" } as const;

async function withApp(
  files: Record<string, string>,
  fn: (
    t: TestKiln,
    bundler: CodeBundler,
    commit: (path: string, text: string) => Promise<string>,
  ) => Promise<void>,
) {
  const t = await startKiln();
  try {
    await t.kiln.registry.registerApplication({ files: minimalApp("calc", files) });
    const commit = async (path: string, text: string) => {
      const r = await t.kiln.state.setDefinitionFileContent("calc", path, text, undefined, {
        commitMessage: `edit ${path}`,
      });
      return r.resultingRevision;
    };
    await fn(t, new CodeBundler(t.kiln.state), commit);
  } finally {
    await t.close();
  }
}

const served = (t: TestKiln) => t.kiln.registry.getApplicationStatus("calc").revision!;

function request(
  revision: string,
  task: Partial<JitTask> = {},
  accepts: CodeRequest["accepts"] = ESM,
): CodeRequest {
  return {
    appId: "calc",
    revision,
    task: { script: "code/calc.ts", function: "add", language: "typescript", ...task },
    accepts,
  };
}

async function loadFails(bundler: CodeBundler, req: CodeRequest, code: string): Promise<KilnError> {
  const err = await bundler.load(req).then(() => assert.fail("expected a failure"), (e) => e);
  assert.ok(err instanceof KilnError, String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

const CALC = {
  "code/calc.ts": 'import { offset } from "./offset.ts";\n' +
    "export function add(r: { input: number[] }) { return r.input[0] + r.input[1] + offset; }\n",
  "code/offset.ts": "export const offset = 0;\n",
};

Deno.test("CodeBundler loads a script at the served revision as an ESM bundle", async () => {
  await withApp(CALC, async (t, bundler) => {
    const code = await bundler.load(request(served(t)));
    assert.equal(code.kind, "javascript");
    if (code.kind !== "javascript") return;
    assert.equal(code.format, "esm");
    assert.equal(code.entry, "add");
    assert.match(code.hash, /^[0-9a-f]{64}$/);
    const again = await bundler.load(request(served(t)));
    assert.equal(again, code, "the same revision is answered from memory");
    assert.deepEqual(bundler.stats(), { builds: 1, contentHits: 0, revisionHits: 1 });
    const iife = await bundler.load(request(served(t), {}, { javascript: "iife" }));
    assert.ok(iife.kind === "javascript" && iife.format === "iife");
    assert.match(iife.source, /globalThis\.__kilnModule = __kilnModule;/);
    assert.notEqual(iife.hash, code.hash);
    assert.equal(bundler.stats().builds, 1, "the iife is derived from the same bundle");
  });
});

Deno.test("CodeBundler answers a task object's repeat load from its memo, never across revisions or tiers", async () => {
  await withApp(CALC, async (t, bundler, commit) => {
    const req = request(served(t));
    const first = await bundler.load(req);
    assert.equal(await bundler.load(req), first);
    assert.deepEqual(bundler.stats(), { builds: 1, contentHits: 0, revisionHits: 1 });
    // The same task object asked for another tier's format, or at another revision, is not the memo's.
    const iife = await bundler.load({ ...req, accepts: { javascript: "iife" } });
    assert.ok(iife.kind === "javascript" && iife.format === "iife");
    const next = await commit("code/offset.ts", "export const offset = 1;\n");
    const rebuilt = await bundler.load({ ...req, revision: next });
    assert.notEqual(rebuilt.hash, first.hash, "the new revision's bundle, not the memo's");
    assert.equal(bundler.stats().builds, 2);
    // A task object changed in place is not answered from what it held before.
    req.task.function = "missing";
    await loadFails(bundler, req, "COMPONENT_BUILD_FAILED");
  });
});

Deno.test("CodeBundler rebuilds only when a file that went into the bundle changed", async () => {
  await withApp(CALC, async (t, bundler, commit) => {
    const original = served(t);
    const first = await bundler.load(request(original));
    const unrelated = await commit("notes.md", "nothing to do with code\n");
    const same = await bundler.load(request(unrelated));
    assert.equal(bundler.stats().builds, 1, "a commit that leaves the inputs alone builds nothing");
    assert.equal(bundler.stats().contentHits, 1);
    assert.equal(same.hash, first.hash);

    const changed = await commit("code/offset.ts", "export const offset = 100;\n");
    const rebuilt = await bundler.load(request(changed));
    assert.equal(bundler.stats().builds, 2, "an imported file changed");
    assert.ok(rebuilt.kind === "javascript" && rebuilt.source.includes("100"));

    const old = await bundler.load(request(original));
    assert.equal(old.hash, first.hash, "an older revision still answers with its own code");
    assert.equal(bundler.stats().builds, 2);
  });
});

Deno.test("CodeBundler explains a script that does not build or lacks its function", async () => {
  await withApp(CALC, async (t, bundler, commit) => {
    const missing = await loadFails(
      bundler,
      request(served(t), { function: "sub" }),
      "COMPONENT_BUILD_FAILED",
    );
    assert.match(missing.message, /has no export named "sub" \(it exports add\)/);
    const absent = await loadFails(
      bundler,
      request(served(t), { script: "code/none.ts" }),
      "COMPONENT_BUILD_FAILED",
    );
    assert.match(absent.message, /"code\/none.ts" does not exist at revision/);
    const broken = await commit(
      "code/calc.ts",
      'import x from "npm:lodash";\nexport const add = x;\n',
    );
    const err = await loadFails(bundler, request(broken), "COMPONENT_BUILD_FAILED");
    assert.match(err.message, /npm: imports are refused/);
    const builds = bundler.stats().builds;
    await loadFails(bundler, request(broken), "COMPONENT_BUILD_FAILED");
    assert.equal(bundler.stats().builds, builds, "a failed build of a revision is remembered");
  });
});

Deno.test("CodeBundler serves wasm components and python as the tier needs them", async () => {
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
  const b64 = btoa(String.fromCharCode(...wasm));
  await withApp({
    "code/hello.wasm.b64": `${b64.slice(0, 4)}\n${b64.slice(4)}\n`,
    "code/bad.wasm.b64": btoa("not wasm at all"),
    "code/handler.py": "def handle_request(request_data, context):\n    return {}\n",
  }, async (t, bundler) => {
    const component = await bundler.load(
      request(served(t), { script: "code/hello.wasm.b64", function: "handle", language: "wasm" }, {
        javascript: "iife",
        wasmComponent: true,
      }),
    );
    assert.ok(component.kind === "wasm-component");
    assert.deepEqual(component.bytes, wasm);
    const bad = await loadFails(
      bundler,
      request(served(t), { script: "code/bad.wasm.b64", language: "wasm" }, {
        wasmComponent: true,
      }),
      "COMPONENT_BUILD_FAILED",
    );
    assert.match(bad.message, /does not decode to WebAssembly/);
    const py = await bundler.load(
      request(served(t), {
        script: "code/handler.py",
        function: "handle_request",
        language: "python",
      }, { python: true }),
    );
    assert.ok(py.kind === "python" && py.source.startsWith("def handle_request"));
    const refused = await loadFails(
      bundler,
      request(served(t), { script: "code/handler.py", language: "python" }, ESM),
      "TIER_UNAVAILABLE",
    );
    assert.match(refused.message, /cannot run Python/);
  });
});
