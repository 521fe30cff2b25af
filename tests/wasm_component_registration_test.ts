/**
 * Registration, update and `git push` check that a WebAssembly component implements the
 * `kiln:handler` world, through the public API on a real Kiln: a component without the entry
 * export, or with the wrong signature, is refused naming what is missing, and nothing is left.
 */
import assert from "node:assert/strict";
import { encodeBase64 } from "./fixtures/components/_base64.ts";
import { HANDLE_ONE_ARG, offWorldComponent, RUN_NOT_HANDLE } from "./fixtures/components/build.ts";
import { fixtureComponent } from "./fixtures/components/_base64.ts";
import { git, startKiln } from "./_support/kiln.ts";

function wasmApp(appId: string, component: Uint8Array, entry = "handle"): Record<string, string> {
  return {
    "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n`,
    "component_registry.yaml": `components:
  - componentId: greet
    handlerType: jit
    runtime: wasm
    trust: low
    taskDetails: { script: components/greet.wasm.b64, function: ${entry}, language: wasm }
    routeMatcher: { pathPattern: /greet, methods: [POST] }
`,
    "components/greet.wasm.b64": encodeBase64(component) + "\n",
  };
}

interface Issue {
  path: string;
  field?: string;
  message: string;
}

Deno.test("registration refuses a component missing the handler export, naming it", async () => {
  const t = await startKiln();
  try {
    const bad = await t.call("POST", "/v1/apps", {
      files: wasmApp("no-handle", await offWorldComponent(...RUN_NOT_HANDLE)),
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.json));
    assert.equal(bad.json.error.code, "VALIDATION_ERROR");
    const [issue] = bad.json.error.details.issues as Issue[];
    assert.equal(issue.path, "component_registry.yaml");
    assert.equal(issue.field, "components.0.taskDetails.script");
    assert.match(issue.message, /greet: components\/greet\.wasm\.b64: it does not export "handle"/);
    assert.match(issue.message, /it exports "run"/);
    assert.match(bad.json.error.message, /does not export "handle"/);
    assert.equal((await t.call("GET", "/v1/apps/no-handle")).status, 404, "nothing registered");

    const wrong = await t.call("POST", "/v1/apps", {
      files: wasmApp("one-arg", await offWorldComponent(...HANDLE_ONE_ARG)),
    });
    assert.equal(wrong.status, 400, JSON.stringify(wrong.json));
    const [sig] = wrong.json.error.details.issues as Issue[];
    assert.match(sig.message, /export "handle" is `func\(string\) -> string`/);
    assert.match(sig.message, /expects `func\(string, string\) -> result<string, string>`/);

    const core = await t.call("POST", "/v1/apps", {
      files: wasmApp("core-module", new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
    });
    assert.equal(core.status, 400, JSON.stringify(core.json));
    assert.match(core.json.error.details.issues[0].message, /not a WebAssembly component/);

    // The entry named in the registry is what must exist: `run` has the handler's signature.
    const renamed = await t.call("POST", "/v1/apps", {
      files: wasmApp("runs", await offWorldComponent(...RUN_NOT_HANDLE), "run"),
    });
    assert.equal(renamed.status, 201, JSON.stringify(renamed.json));
  } finally {
    await t.close();
  }
});

Deno.test("an update and a git push bringing an off-world component are refused", async () => {
  const t = await startKiln({ watch: true });
  const work = await Deno.makeTempDir({ prefix: "kiln-wasm-push-" });
  try {
    const good = wasmApp("greeter", await fixtureComponent("echo"));
    const reg = await t.call("POST", "/v1/apps", { files: good });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    const served = await t.call("POST", "/apps/greeter/greet", { hi: 1 });
    assert.equal(served.status, 200, JSON.stringify(served.json));

    const update = await t.call("PUT", "/v1/apps/greeter", {
      files: wasmApp("greeter", await offWorldComponent(...HANDLE_ONE_ARG)),
    });
    assert.equal(update.status, 400, JSON.stringify(update.json));
    assert.match(update.json.error.details.issues[0].message, /export "handle" is `func\(string\)/);

    await git(["clone", "-q", reg.json.repository, `${work}/greeter`]);
    const bad = encodeBase64(await offWorldComponent(...RUN_NOT_HANDLE)) + "\n";
    await Deno.writeTextFile(`${work}/greeter/state/components/greet.wasm.b64`, bad);
    await git(["commit", "-qam", "Swap in the wrong component"], `${work}/greeter`);
    const pushed = await new Deno.Command("git", {
      args: ["push", "origin", "HEAD:main"],
      cwd: `${work}/greeter`,
      stderr: "piped",
      env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    }).output();
    const stderr = new TextDecoder().decode(pushed.stderr);
    assert.equal(pushed.success, false, stderr);
    assert.match(stderr, /remote: kiln: +state\/component_registry\.yaml at components\.0/);
    assert.match(stderr, /does not export "handle"/);
    const still = await t.call("POST", "/apps/greeter/greet", { hi: 2 });
    assert.equal(still.status, 200, "the registered revision keeps serving");
  } finally {
    await Deno.remove(work, { recursive: true });
    await t.close();
  }
});
